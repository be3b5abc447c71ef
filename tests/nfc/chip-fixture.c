/*
 * chip-fixture — the emulated PN532 with a virtual passport, for the
 * command-level tests (see chip-fixture.h).
 */
#include <stdarg.h>
#include <string.h>

#include "tests/nfc/chip-fixture.h"

int fixture_open(fixture *f, const uint8_t *card_access, size_t len)
{
	memset(f, 0, sizeof(*f));
	if (vpass_doc_new(&f->doc) != VPASS_OK ||
	    vpass_doc_add_file(f->doc, VPASS_FID_CARD_ACCESS, card_access, len) != VPASS_OK ||
	    vpass_doc_set_access(f->doc, "X12345678", "800101", "300101") != VPASS_OK ||
	    vpass_card_new(f->doc, NULL, &f->card) != VPASS_OK)
		return -1;
	f->chip = pn532_chip_new();
	if (!f->chip)
		return -1;
	pn532_chip_set_card(f->chip, f->card, PN532_CARD_A);
	return 0;
}

void fixture_close(fixture *f)
{
	pn532_chip_free(f->chip);
	vpass_card_free(f->card);
	vpass_doc_free(f->doc);
}

bool cmd(fixture *f, size_t n, ...)
{
	uint8_t c[300];
	if (n > sizeof(c))
		return false;
	va_list ap;
	va_start(ap, n);
	for (size_t i = 0; i < n; i++)
		c[i] = (uint8_t)va_arg(ap, int);
	va_end(ap);
	return pn532_chip_command(f->chip, c, n, f->resp, sizeof(f->resp), &f->len);
}
