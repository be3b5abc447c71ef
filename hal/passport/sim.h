/*
 * sim — a reader in this process holding the virtual e-passport
 * (devices/vpass): the `sim:DIR` connection string opens one with the
 * document appm-docgen made in DIR, so the kiosk, the demo and tests read a
 * passport without pcscd; pp_sim_transport_new puts a chip a test holds
 * (and scripts: remove, insert, faults) on such a reader.
 */
#pragma once

#include "devices/vpass/vpass.h"
#include "hal/passport/transport.h"

/* A transport whose reader holds `card` (not owned; it must outlive the
 * transport). connect() powers the card up afresh; it fails with
 * PP_ERR_NO_CARD when the card is out of the field. */
pp_err pp_sim_transport_new(vpass_card *card, pp_transport **ret);
