/*
 * chip-fixture — the emulated PN532's command interpreter with a virtual
 * passport in its field, driven command by command (test_pn532,
 * test_picc): its EF.CardAccess holds the test's bytes, so that long
 * answers are known in advance; access key X12345678 / 800101 / 300101.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/pn532/pn532.h"

typedef struct fixture {
	vpass_doc *doc;
	vpass_card *card;
	pn532_chip *chip;
	uint8_t resp[PN532_FRAME_MAX_BODY];
	size_t len;
	uint8_t pcd_bn; /* a host running ISO 14443-4 blocks: its block number (rules A, B) */
} fixture;

/* The fixture with EF.CardAccess = card_access[0..len), a type A card in
 * the field; 0, or -1 when it could not be made (cmocka's setup). */
int fixture_open(fixture *f, const uint8_t *card_access, size_t len);
void fixture_close(fixture *f);

/* Send one command given as its bytes (code first); whether the chip
 * understood it. The answer is in f->resp, f->len. */
bool cmd(fixture *f, size_t n, ...);
