/*
 * devices/backend/db.h — appm-backend's own SQLite database (WAL): the
 * documents reported lost or stolen, and the applications received, keyed
 * by the kiosk's application id so that a repeated submission gets the
 * same application number, across restarts too. One handle is shared by
 * the server's connection threads; every call takes its lock.
 */
#ifndef APPM_BACKEND_DB_H
#define APPM_BACKEND_DB_H

#include <stdbool.h>
#include <stddef.h>

#include "devices/backend/rules.h"

typedef struct be_db be_db;

/* Opens (creating) the database at path; why says what failed. */
be_err be_db_open(const char *path, be_db **ret_db, char *why, size_t why_len);
void be_db_free(be_db *db);

/* Lost or stolen documents. */
be_err be_db_add_lost(be_db *db, const char *document_number);
be_err be_db_is_lost(be_db *db, const char *document_number, bool *ret_lost);

/* Stores app unless its id is known: *ret_created says whether it was new;
 * the number (new or the earlier one) goes to ret_number. The id known
 * with other content is BE_ERR_CONFLICT. */
be_err be_db_submit(be_db *db, const be_application *app, char *ret_number, size_t number_len,
		    bool *ret_created);

/* The status and receipt time (UTC, ISO 8601) of an application number. */
be_err be_db_status(be_db *db, const char *number, char *ret_status, size_t status_len,
		    char *ret_received, size_t received_len);

#endif
