/*
 * passport — the passport reader device class: the one header the kiosk
 * includes. It gathers the class's public parts:
 *
 *   pp.h         errors, their words, and the class each belongs to
 *                (the applicant can fix it, the device is faulty, the
 *                document needs an officer, fraud suspected, cancelled)
 *   transport.h  a reader by connection string ("pcsc", "pcsc:NAME",
 *                "libnfc:pn532_uart:/dev/ttyUSB0", "sim:DIR"): open,
 *                list, wait for a document, cancel, figures
 *   reader.h     the access key, the read's options (progress, cancel,
 *                deadline) and what a read found (pp_document)
 *   verify.h     the one operation: read, parse and verify a document,
 *                one report (pp_read_passport)
 *   trust.h      the CSCA trust store from the configured files
 *
 * Behind *-internal.h, for the class's own files and its tests: the
 * driver table (transport-internal.h), the channel and its secure
 * messaging (channel-internal.h), PACE and chip authentication
 * (eac-internal.h), the reading stack's steps (reader-internal.h) and the
 * status-word table (sw-internal.h). sim.h, the simulated reader around a
 * chip a test holds, is for tests.
 */
#pragma once

#include "hal/passport/pp.h"
#include "hal/passport/reader.h"
#include "hal/passport/transport.h"
#include "hal/passport/trust.h"
#include "hal/passport/verify.h"
