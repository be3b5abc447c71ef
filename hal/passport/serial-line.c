/*
 * serial-line — the serial port of a libnfc connection string (see
 * serial-line-internal.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <nfc/nfc.h>

#include "hal/passport/serial-line-internal.h"

pp_err pp_serial_speed(const char *cs, unsigned long *ret)
{
	static const unsigned long speeds[] = { 9600, 19200, 38400, 57600, 115200, 230400, 460800 };
	*ret = 0;
	const char *colon = strchr(cs, ':');
	if (!colon || (size_t)(colon - cs) < 5 || strncmp(colon - 5, "_uart", 5) != 0)
		return PP_OK;
	const char *speed = strchr(colon + 1, ':');
	if (!speed) {
		if (strncmp(cs, "pn532_uart:", 11) == 0)
			*ret = PN532_UART_DEFAULT_BAUD;
		return PP_OK;
	}
	char *end = NULL;
	errno = 0;
	unsigned long baud = strtoul(speed + 1, &end, 10);
	if (errno || end == speed + 1 || *end)
		return PP_ERR_ARG;
	for (size_t i = 0; i < sizeof(speeds) / sizeof(speeds[0]); i++) {
		if (speeds[i] == baud) {
			*ret = baud;
			return PP_OK;
		}
	}
	return PP_ERR_ARG;
}

pp_err pp_serial_lock(const char *cs, int *ret_fd)
{
	const char *colon = strchr(cs, ':');
	*ret_fd = -1;
	if (!colon || (size_t)(colon - cs) < 5 || strncmp(colon - 5, "_uart", 5) != 0)
		return PP_OK;
	char path[sizeof(nfc_connstring)];
	snprintf(path, sizeof(path), "%s", colon + 1);
	char *speed = strchr(path, ':');
	if (speed)
		*speed = '\0';
	int fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return PP_OK; /* libnfc will say what is wrong with the port */
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		close(fd);
		return errno == EWOULDBLOCK ? PP_ERR_BUSY : PP_OK;
	}
	*ret_fd = fd;
	return PP_OK;
}
