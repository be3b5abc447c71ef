/*
 * journey-internal — what journey.c and journey_face.c (the camera step)
 * share: the journey's state and the few calls the step needs.
 */
#pragma once

#include "kiosk/bkjobs.h"
#include "kiosk/face.h"
#include "kiosk/journey.h"

typedef struct jtimer {
	GSource *src;
	flow_event ev;           /* what it feeds when it fires */
	struct journey *j;
} jtimer;

struct journey {
	flow f;
	store *st;
	GMainContext *ctx;
	ui_server *ui;
	journey_log_fn log;
	void *log_user;
	journey_notify_fn notify;
	void *notify_user;
	flow_tariff tariff;
	const char *why;         /* why the screen shown was entered (the table's words) */
	time_t since;            /* when it was entered */
	char session[40];        /* "" at the welcome screen */
	jtimer screen_timer;     /* inactivity, or the answer to "still there?" */
	jtimer retry_timer;      /* the backend asked again (beside the screen's: a touch does not stop it) */
	bool document;           /* a document is on the reader (its watch said so) */
	kdevs *devs;
	const pa_trust *trust;
	pp_access_key key;       /* typed by the applicant; cleared with the session */
	size_t read_done, read_total; /* the read's progress, for the page */
	json_t *holder;          /* what the chip says of its holder (for review); NULL before */
	bkjobs *jobs;            /* the backend; NULL when none is configured */
	char asked[40];          /* the session a backend call is for */
	json_t *reasons;         /* a refusal's reasons, for the page */
	json_t *contact;         /* the review's contact details */
	int validity_years;      /* 5 or 10, chosen at the review */
	unsigned long fee;       /* rupiah */
	unsigned spoken;         /* times the machine asked for the screen to be spoken: the page speaks at each change */
	char number[64];         /* the application number */
	/* the camera step (journey_face.c) */
	kface *face;             /* NULL: no face step */
	const char *face_last;   /* why the last attempt failed ("no-match", ...), NULL: none */
	char face_chip_why[160]; /* why the chip's face could not be enrolled, "" when it was */
	json_t *face_result;     /* the verified attempt's figures and photo, for the session */
	GSource *face_pause;     /* a retry's words shown before the next attempt starts */
	bool face_officer;       /* an officer came to the face step and let it go on */
};

__attribute__((format(printf, 2, 3))) void journey_say(journey *j, const char *fmt, ...);
/* Feed one flow event and carry out what it asks. */
void journey_feed(journey *j, flow_event ev, int arg);
/* Tell the page the state. */
void journey_publish(journey *j);

/* journey_face.c */
/* FLOW_DO_CAPTURE_FACE: an attempt starts (or the step fails at once). */
void journey_face_start(journey *j);
/* After every action: the camera stops when the face screen is left. */
void journey_face_follow(journey *j);
/* The chip read: its face enrolled for the step. */
void journey_face_chip(journey *j, const pp_report *rep);
/* FLOW_DO_WIPE: the step's data go. */
void journey_face_wipe(journey *j);
/* The face screen's part of the page's state. */
json_t *journey_face_json(journey *j);
