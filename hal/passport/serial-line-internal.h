/*
 * serial-line — the serial port of a libnfc connection string
 * "DRIVER_uart:PATH[:SPEED]" (libnfc.c): its speed, and holding the port.
 *
 * "libnfc:pn532_uart:PATH:SPEED". libnfc 1.8 (Debian 12;
 * drivers/pn532_uart.c pn532_uart_open) opens the port at SPEED, 115200
 * without it (PN532_UART_DEFAULT_SPEED), and sends the PN532 nothing about
 * it: no SetSerialBaudRate (libnfc never sends that command). The PN532's
 * HSU starts at 115200 after power-up (UM0701-02) and runs at 9600, 19200,
 * 38400, 57600, 115200, 230400, 460800, 921600 or 1288000 baud once its
 * host has sent SetSerialBaudRate; libnfc's buses/uart.c uart_set_speed
 * knows 9600 to 460800 only, and for any other SPEED logs an error and
 * leaves the port as it was. So SPEED must be the speed the PN532 already
 * runs at: 115200 for a chip fresh from power-up, another only for a board
 * whose firmware or earlier host set it. pp_serial_speed refuses (PP_ERR_ARG) a
 * SPEED outside 9600..460800 of the HSU's list, which libnfc would
 * silently not apply, and reports the speed in its capabilities.
 */
#pragma once

#include "hal/passport/pp.h"

/* libnfc's pn532_uart speed without one in the connection string. */
#define PN532_UART_DEFAULT_BAUD 115200

/* SPEED of "DRIVER_uart:PATH[:SPEED]" (libnfc's connection string, without
 * "libnfc:"): *ret 0 for other devices; the pn532_uart default without
 * SPEED (the other serial drivers' own defaults are not ours to know: 0).
 * PP_ERR_ARG for a speed libnfc would not set or the PN532 does not run
 * at. */
pp_err pp_serial_speed(const char *cs, unsigned long *ret);

/* libnfc does not lock a serial port: a second program opening the same
 * PN532 (diag --direct beside the daemon, a read beside a watch) would
 * interleave its frames with ours and break both. Hold the port with
 * flock, as other serial programs do, for as long as the link is open
 * (*ret_fd, to close; -1 when nothing is held); a port held by another is
 * PP_ERR_BUSY. Only for "DRIVER_uart:PATH[:SPEED]"; USB devices are
 * claimed by libusb itself. */
pp_err pp_serial_lock(const char *cs, int *ret_fd);
