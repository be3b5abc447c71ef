/*
 * fault_transport — a passport reader that fails one exchange on purpose:
 * it wraps another transport and, when the plan says so, either never
 * sends the command (the reader failed) or sends it and loses the answer
 * (the chip carried it out; the reader heard nothing). Waits for a
 * document, cancels and the ATR go to the inner transport untouched. See
 * fault.h.
 */
#pragma once

#include <stdatomic.h>

#include "hal/passport/transport.h"
#include "tests/common/fault.h"

typedef enum fault_mode {
	FAULT_NOT_SENT,     /* the command never reaches the chip */
	FAULT_ANSWER_LOST,  /* the chip carries it out; its answer is lost */
} fault_mode;

typedef struct fault_reader {
	pp_transport *inner;  /* not owned */
	fault_plan plan;      /* counts exchanges */
	fault_mode mode;
	pp_err err;           /* what the failed exchange returns */
	atomic_int gone;      /* a pp_err; when set (from any thread), every call
	                       * fails with it: the service stopped
	                       * (PP_ERR_SERVICE_STOPPED) or the reader left
	                       * (PP_ERR_NO_READER) */
} fault_reader;

/* A transport over fr (which must outlive it). */
pp_err fault_transport_new(fault_reader *fr, pp_transport **ret);
