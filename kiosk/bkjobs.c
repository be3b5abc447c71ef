/*
 * bkjobs — backend calls on threads, answers on the loop; see bkjobs.h.
 *
 * A job owns copies of what it sends (JSON), so nothing of the caller's is
 * read from the thread. Its answer comes back as an idle source on the
 * loop's context; the set keeps every job until its answer is delivered
 * or dropped, so stopping can join the threads and free what is left.
 */
#include "kiosk/bkjobs.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

typedef enum job_kind { JOB_ELIGIBILITY, JOB_SUBMIT } job_kind;

typedef struct job {
	bkjobs *set;
	job_kind kind;
	json_t *in;              /* what to send */
	bkjob_done done;
	void *user;
	GThread *thread;
	bool dropped;            /* the set is stopping: deliver nothing */
	bk_err err;
	char number[64];
	bk_reasons reasons;
} job;

struct bkjobs {
	bk_client *client;
	GMainContext *ctx;
	GList *jobs;             /* loop thread only */
};

/* YYMMDD -> YYYY-MM-DD. A birth date takes the latest century that does
 * not put it in the future; an expiry date is always 20YY. */
static void iso_date(const char *yymmdd, bool birth, char out[11])
{
	int yy = (yymmdd[0] - '0') * 10 + (yymmdd[1] - '0');
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	int century = 2000;
	if (birth && yy > (tm.tm_year + 1900) % 100)
		century = 1900;
	snprintf(out, 11, "%04d-%.2s-%.2s", century + yy, yymmdd + 2, yymmdd + 4);
}

static const char *jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

/* The document number as printed: the MRZ's fillers dropped. */
static void trim_fillers(const char *in, char *out, size_t cap)
{
	snprintf(out, cap, "%s", in);
	char *lt = strchr(out, '<');
	if (lt)
		*lt = '\0';
}

static gpointer run(gpointer data)
{
	job *j = data;
	const json_t *h = json_object_get(j->in, "holder");
	char birth[11], expiry[11], docno[40];
	iso_date(jstr(h, "birth_date"), true, birth);
	iso_date(jstr(h, "expiry_date"), false, expiry);
	trim_fillers(jstr(h, "document_number"), docno, sizeof(docno));
	if (j->kind == JOB_ELIGIBILITY) {
		bk_document d = { .document_number = docno, .nationality = jstr(h, "nationality"), .birth_date = birth,
			          .expiry_date = expiry, .document_type = jstr(h, "document_code") };
		j->err = bk_eligibility(j->set->client, &d, &j->reasons);
	} else {
		const json_t *c = json_object_get(j->in, "contact");
		char sex[2] = { jstr(h, "sex")[0] ? jstr(h, "sex")[0] : 'X', 0 };
		if (sex[0] == '<')
			sex[0] = 'X';
		bk_application a = {
			.application_id = jstr(j->in, "application_id"),
			.document_number = docno,
			.holder = { .surname = jstr(h, "surname"), .given_names = jstr(h, "given_names"),
			            .nationality = jstr(h, "nationality"), .birth_date = birth, .sex = sex },
			.contact = { .phone = jstr(c, "phone"), .email = jstr(c, "email"), .address = jstr(c, "address") },
			.passport_type = "P",
			.validity_years = (int)json_integer_value(json_object_get(j->in, "validity_years")),
			.fee_amount = (long)json_integer_value(json_object_get(j->in, "fee")),
			.fee_currency = "IDR",
		};
		j->err = bk_submit(j->set->client, &a, j->number, sizeof(j->number), &j->reasons);
	}
	return NULL;
}

static gboolean deliver(gpointer data)
{
	job *j = data;
	g_thread_join(j->thread);
	j->set->jobs = g_list_remove(j->set->jobs, j);
	if (!j->dropped && j->done)
		j->done(j->err, j->number[0] ? j->number : NULL, j->err == BK_ERR_REFUSED ? &j->reasons : NULL, j->user);
	json_decref(j->in);
	g_free(j);
	return G_SOURCE_REMOVE;
}

/* The thread's whole life: the call, then the answer to the loop. */
static gpointer run_and_post(gpointer data)
{
	job *j = data;
	run(j);
	GSource *src = g_idle_source_new();
	g_source_set_callback(src, deliver, j, NULL);
	g_source_attach(src, j->set->ctx);
	g_source_unref(src);
	return NULL;
}

static void start(bkjobs *s, job_kind kind, json_t *in, bkjob_done done, void *user)
{
	job *j = g_new0(job, 1);
	*j = (job){ .set = s, .kind = kind, .in = in, .done = done, .user = user };
	s->jobs = g_list_prepend(s->jobs, j);
	j->thread = g_thread_new("backend", run_and_post, j);
}

bkjobs *bkjobs_new(bk_client *client, GMainContext *ctx)
{
	bkjobs *s = g_new0(bkjobs, 1);
	s->client = client;
	s->ctx = ctx ? ctx : g_main_context_default();
	return s;
}

void bkjobs_eligibility(bkjobs *s, const json_t *holder, bkjob_done done, void *user)
{
	start(s, JOB_ELIGIBILITY, json_pack("{s:O}", "holder", holder), done, user);
}

void bkjobs_submit(bkjobs *s, const char *application_id, const json_t *holder, const json_t *contact,
                   int validity_years, long fee, bkjob_done done, void *user)
{
	start(s, JOB_SUBMIT,
	      json_pack("{s:s, s:O, s:O, s:i, s:I}", "application_id", application_id, "holder", holder, "contact",
	                contact, "validity_years", validity_years, "fee", (json_int_t)fee),
	      done, user);
}

void bkjobs_free(bkjobs *s)
{
	if (!s)
		return;
	for (GList *l = s->jobs; l; l = l->next)
		((job *)l->data)->dropped = true;
	/* Each posts its answer when its call ends (bounded by the client's
	 * time-outs); delivering them now frees them, dropped. */
	while (s->jobs)
		g_main_context_iteration(s->ctx, TRUE);
	g_free(s);
}
