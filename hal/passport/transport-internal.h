/*
 * transport-internal — the driver tables the transport registry knows;
 * each driver file defines one.
 */
#pragma once

#include "hal/passport/transport.h"

extern const pp_transport_ops pp_pcsc_driver;
extern const pp_transport_ops pp_libnfc_driver;
extern const pp_transport_ops pp_sim_driver;
