/*
 * pp — errors of the passport device class (hal/passport): transport,
 * reading stack and LDS parsing report one of these.
 *
 * Codes are only appended. Each has words for the screen or the engineer
 * (pp_strerror), and belongs to one class that the applicant flow and
 * diagnostics act on without knowing the device (pp_err_info): the
 * applicant can fix it (a prompt, then retry), the reader is faulty (with
 * XFS4IoT's recommended action), the document needs an officer, fraud is
 * suspected, or the operation was cancelled.
 */
#pragma once

#include <stdbool.h>

typedef enum pp_err {
	PP_OK = 0,
	PP_ERR_ARG,             /* caller error: bad option or connection string */
	PP_ERR_NOMEM,
	PP_ERR_NO_DRIVER,       /* no transport driver with that name */
	PP_ERR_NO_SERVICE,      /* the smart-card service (pcscd) is not running */
	PP_ERR_NO_READER,       /* no reader attached, or none with that name */
	PP_ERR_NO_CARD,         /* no document on the reader */
	PP_ERR_REMOVED,         /* the document left the field during a command */
	PP_ERR_COMM,            /* the reader or link failed */
	PP_ERR_TIMEOUT,
	PP_ERR_NOT_SUPPORTED,   /* the driver or chip does not offer this */
	PP_ERR_ACCESS_DENIED,   /* access control failed: the MRZ does not match */
	PP_ERR_SM,              /* secure messaging broke: bad MAC or malformed */
	PP_ERR_STATUS,          /* the chip answered an unexpected status word */
	PP_ERR_NOT_EMRTD,       /* the card has no eMRTD application */
	PP_ERR_PARSE,           /* chip data is malformed or truncated */
	PP_ERR_CANCELLED,
	PP_ERR_FILE_NOT_FOUND,  /* the chip has no such file */
	PP_ERR_CRYPTO,          /* a local cryptographic failure */
	PP_ERR_CHIP_AUTH,       /* chip or active authentication failed: possible cloned chip */
	PP_ERR_SM_ENDED,        /* the chip ended secure messaging and it could not be set up again */
	PP_ERR_UNRESPONSIVE,    /* the document stopped answering within the exchange deadline */
	PP_ERR_BUSY,            /* another program holds the reader */
	PP_ERR_SERVICE_STOPPED, /* the smart-card service stopped during the read */
	PP_ERR_BLOCKED,         /* the chip has blocked the authentication method (6983) */
	PP_ERR_NOT_VERIFIED,    /* read, but passive authentication failed */
} pp_err;
#define PP_ERR_LAST PP_ERR_NOT_VERIFIED

const char *pp_strerror(pp_err e);

/* Who can act on an error. */
typedef enum pp_err_class {
	PP_CLASS_NONE = 0,   /* PP_OK */
	PP_CLASS_USER,       /* the applicant can fix it: prompt, then retry */
	PP_CLASS_DEVICE,     /* the reader, its service or this program failed */
	PP_CLASS_DOCUMENT,   /* the document cannot be read or checked by machine: an officer */
	PP_CLASS_FRAUD,      /* the document may be forged or cloned: an officer, do not accept it */
	PP_CLASS_CANCELLED,  /* stopped on request */
} pp_err_class;

/* XFS4IoT's recommended action for a device fault. */
typedef enum pp_action {
	PP_ACTION_NONE = 0,  /* nothing for the machine's keepers to do */
	PP_ACTION_RESET,     /* reset the device, then retry */
	PP_ACTION_CLEAR,     /* an operator can fix it (e.g. start a service, free the reader) */
	PP_ACTION_MAINTENANCE, /* an engineer is needed */
	PP_ACTION_SUSPEND,   /* the device is recovering by itself: wait, then retry */
} pp_action;

typedef struct pp_err_info {
	pp_err_class cls;
	pp_action action;
	const char *advice;  /* what to do next, for whoever can act; NULL when
	                      * pp_strerror already says it */
} pp_err_info;

/* The class, recommended action and advice of e: decided here, once. */
pp_err_info pp_err_info_of(pp_err e);
/* "user", "device", "document", "fraud", "cancelled" ("none" for PP_OK). */
const char *pp_err_class_name(pp_err_class c);
/* "none", "reset", "clear", "maintenance", "suspend". */
const char *pp_action_name(pp_action a);
/* True when the applicant (not the engineer) can fix it. */
bool pp_err_is_user(pp_err e);
