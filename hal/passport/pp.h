/*
 * pp — errors of the passport device class (hal/passport): transport,
 * reading stack and LDS parsing report one of these.
 *
 * Codes are only appended. Each has words for the screen or the engineer
 * (pp_strerror); pp_err_is_user tells whether the applicant can fix it
 * (place the document again, retype the MRZ) or the machine needs help.
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
} pp_err;

const char *pp_strerror(pp_err e);
/* True when the applicant (not the engineer) can fix it. */
bool pp_err_is_user(pp_err e);
