/*
 * pp — words for the passport device class's errors.
 */
#include "hal/passport/pp.h"

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
	case PP_ERR_SM_ENDED: return "the chip ended secure messaging and it could not be set up again";
	case PP_ERR_UNRESPONSIVE: return "the document stopped answering; remove it and place it again";
	case PP_ERR_BUSY: return "the reader is busy: another program is using it";
	case PP_ERR_SERVICE_STOPPED: return "the smart-card service (pcscd) stopped during the read";
	case PP_ERR_BLOCKED: return "the chip has blocked access with this key; retyping cannot fix it";
	}
	return "unknown passport error";
}

bool pp_err_is_user(pp_err e)
{
	switch (e) {
	case PP_ERR_NO_CARD:
	case PP_ERR_REMOVED:
	case PP_ERR_ACCESS_DENIED:
	case PP_ERR_NOT_EMRTD:
	case PP_ERR_UNRESPONSIVE:
		return true;
	case PP_OK:
	case PP_ERR_ARG:
	case PP_ERR_NOMEM:
	case PP_ERR_NO_DRIVER:
	case PP_ERR_NO_SERVICE:
	case PP_ERR_NO_READER:
	case PP_ERR_COMM:
	case PP_ERR_TIMEOUT:
	case PP_ERR_NOT_SUPPORTED:
	case PP_ERR_SM:
	case PP_ERR_STATUS:
	case PP_ERR_PARSE:
	case PP_ERR_CANCELLED:
	case PP_ERR_FILE_NOT_FOUND:
	case PP_ERR_CRYPTO:
	case PP_ERR_CHIP_AUTH:
	case PP_ERR_SM_ENDED:
	case PP_ERR_BUSY:
	case PP_ERR_SERVICE_STOPPED:
	case PP_ERR_BLOCKED:
		return false;
	}
	return false;
}
