/*
 * pp — words for the passport device class's errors.
 */
#include "hal/passport/pp.h"

#include <stddef.h>

const char *pp_strerror(pp_err e)
{
	switch (e) {
	case PP_OK: return "success";
	case PP_ERR_ARG: return "invalid argument";
	case PP_ERR_NOMEM: return "out of memory";
	case PP_ERR_NO_DRIVER: return "no reader driver with that name";
	case PP_ERR_NO_SERVICE: return "the smart-card service (pcscd) is not running";
	case PP_ERR_NO_READER: return "no passport reader found";
	case PP_ERR_NO_CARD: return "no document on the reader";
	case PP_ERR_REMOVED: return "the document was removed while reading; place it again";
	case PP_ERR_COMM: return "communication with the reader failed";
	case PP_ERR_TIMEOUT: return "the reader did not answer in time";
	case PP_ERR_NOT_SUPPORTED: return "not supported by this reader or document";
	case PP_ERR_ACCESS_DENIED: return "access control failed: the MRZ does not match this document";
	case PP_ERR_SM: return "secure messaging failed: the chip's answer did not verify";
	case PP_ERR_STATUS: return "the chip refused a command";
	case PP_ERR_NOT_EMRTD: return "this card is not an electronic passport";
	case PP_ERR_PARSE: return "the chip's data is malformed";
	case PP_ERR_CANCELLED: return "cancelled";
	case PP_ERR_FILE_NOT_FOUND: return "the chip has no such file";
	case PP_ERR_CRYPTO: return "a cryptographic operation failed";
	case PP_ERR_CHIP_AUTH: return "the chip failed to prove it is genuine: possible cloned chip";
	case PP_ERR_SM_ENDED: return "the chip ended secure messaging and would not go on under a new session";
	case PP_ERR_UNRESPONSIVE: return "the document stopped answering; remove it and place it again";
	case PP_ERR_BUSY: return "the reader is busy: another program is using it";
	case PP_ERR_SERVICE_STOPPED: return "the smart-card service (pcscd) stopped during the read";
	case PP_ERR_BLOCKED: return "the chip has blocked access with this key; retyping cannot fix it";
	case PP_ERR_NOT_VERIFIED: return "passive authentication failed: the data cannot be proven genuine";
	}
	return "unknown passport error";
}

pp_err_info pp_err_info_of(pp_err e)
{
#define INFO(c, a, text) ((pp_err_info){ .cls = PP_CLASS_##c, .action = PP_ACTION_##a, .advice = text })
	switch (e) {
	case PP_OK: return INFO(NONE, NONE, NULL);
	/* The applicant can fix these. */
	case PP_ERR_NO_CARD: return INFO(USER, NONE, "place the passport's photo page on the reader");
	case PP_ERR_REMOVED: return INFO(USER, NONE, NULL);
	case PP_ERR_UNRESPONSIVE: return INFO(USER, NONE, NULL);
	case PP_ERR_ACCESS_DENIED:
		return INFO(USER, NONE, "check the MRZ (document number, dates of birth and expiry) and try again");
	case PP_ERR_NOT_EMRTD:
		return INFO(USER, NONE, "place an electronic passport (with the chip symbol on the cover)");
	/* The reader, its service or this program. */
	case PP_ERR_NO_SERVICE:
		return INFO(DEVICE, CLEAR, "start it and try again");
	case PP_ERR_SERVICE_STOPPED:
		return INFO(DEVICE, CLEAR, "restart it and read again");
	case PP_ERR_NO_READER:
		return INFO(DEVICE, MAINTENANCE,
		            "check that the reader is connected ('appm passport readers' lists them); a PN532 "
		            "answers only at its serial speed, 115200 baud after power-up");
	case PP_ERR_BUSY:
		return INFO(DEVICE, SUSPEND, "wait until the other program has finished, or close it, and try again");
	case PP_ERR_COMM:
	case PP_ERR_TIMEOUT:
		return INFO(DEVICE, RESET, "place the document again; if it repeats, reset the reader");
	case PP_ERR_NO_DRIVER:
	case PP_ERR_ARG: return INFO(DEVICE, MAINTENANCE, "check the reader's connection string");
	case PP_ERR_NOMEM:
	case PP_ERR_CRYPTO: return INFO(DEVICE, MAINTENANCE, NULL);
	/* The document needs an officer. */
	case PP_ERR_NOT_SUPPORTED:
	case PP_ERR_STATUS:
	case PP_ERR_FILE_NOT_FOUND:
		return INFO(DOCUMENT, NONE, "place the document again; call an officer if it repeats");
	case PP_ERR_SM_ENDED:
		return INFO(DOCUMENT, NONE, "place the document again; call an officer if it repeats");
	case PP_ERR_PARSE:
		return INFO(DOCUMENT, NONE, "the document cannot be read by machine; call an officer");
	case PP_ERR_BLOCKED:
		return INFO(DOCUMENT, NONE, "call an officer: the document must be checked at the counter");
	case PP_ERR_NOT_VERIFIED:
		return INFO(DOCUMENT, NONE, "do not accept the data; call an officer to check the document");
	/* Fraud suspected. */
	case PP_ERR_SM:
		return INFO(FRAUD, NONE,
		            "the answer may have been altered; read the document again, and call an officer if it repeats");
	case PP_ERR_CHIP_AUTH: return INFO(FRAUD, NONE, "do not accept this document; call an officer");
	case PP_ERR_CANCELLED: return INFO(CANCELLED, NONE, NULL);
	}
#undef INFO
	return (pp_err_info){ .cls = PP_CLASS_DEVICE, .action = PP_ACTION_MAINTENANCE };
}

const char *pp_err_class_name(pp_err_class c)
{
	switch (c) {
	case PP_CLASS_NONE: return "none";
	case PP_CLASS_USER: return "user";
	case PP_CLASS_DEVICE: return "device";
	case PP_CLASS_DOCUMENT: return "document";
	case PP_CLASS_FRAUD: return "fraud";
	case PP_CLASS_CANCELLED: return "cancelled";
	}
	return "unknown";
}

const char *pp_action_name(pp_action a)
{
	switch (a) {
	case PP_ACTION_NONE: return "none";
	case PP_ACTION_RESET: return "reset";
	case PP_ACTION_CLEAR: return "clear";
	case PP_ACTION_MAINTENANCE: return "maintenance";
	case PP_ACTION_SUSPEND: return "suspend";
	}
	return "unknown";
}

bool pp_err_is_user(pp_err e)
{
	return pp_err_info_of(e).cls == PP_CLASS_USER;
}
