/*
 * progress.c - how far a long anomaly_train has got: its phase (reading,
 * fitting, calibrating, segments, evaluating, writing), the rows read, the
 * planner's estimate of the source's rows, and the time left in reading.
 *
 * Two ways to see it:
 * - From any session, the view anomaly_progress, when the library is
 *   preloaded (shared_preload_libraries = 'anomaly'): each backend has a
 *   slot in shared memory, indexed by its PGPROC number, that only it
 *   writes (under the slot's spinlock); parallel workers add the rows they
 *   read to their leader's slot (an atomic counter, in batches of 1024
 *   rows, the rest when they exit).  Without preloading there is no shared
 *   memory to hold it (PostgreSQL 15 cannot add any later) and the view is
 *   empty.  A role sees the trainings of the roles it has the privileges
 *   of, and pg_read_all_stats sees all, as in pg_stat_activity.
 * - In the training session, with anomaly.progress = on (preloaded or not):
 *   a NOTICE at each phase, and every 5 seconds while reading.
 */
#include "glue.h"

#include "access/parallel.h"
#include "access/xact.h"
#include "catalog/pg_authid.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "port/atomics.h"
#include "storage/ipc.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"


PG_FUNCTION_INFO_V1(anomaly_training_progress);

/* rows a backend counts before it adds them to the shared counter */
#define ROW_BATCH 1024
/* how often a NOTICE reports the reading phase, in ms */
#define NOTICE_EVERY_MS 5000

static const char *const phase_names[] = {
	[AN_PROGRESS_IDLE] = "idle",
	[AN_PROGRESS_READING] = "reading",
	[AN_PROGRESS_FITTING] = "fitting",
	[AN_PROGRESS_CALIBRATING] = "calibrating",
	[AN_PROGRESS_SEGMENTS] = "segments",
	[AN_PROGRESS_EVALUATING] = "evaluating",
	[AN_PROGRESS_WRITING] = "writing",
};

typedef struct progress_slot
{
	slock_t		mutex;			/* guards every field but rows */
	int			pid;			/* 0 when the backend is not training */
	uint64		serial;			/* which training of the backend */
	Oid			userid;
	char		name[NAMEDATALEN];
	int			phase;
	int64		estimate;		/* the planner's rows of the source, or -1 */
	TimestampTz started;
	TimestampTz phase_started;
	TimestampTz read_until;		/* when reading ended, or 0 */
	pg_atomic_uint64 rows;
} progress_slot;

typedef struct progress_shared
{
	int			n_slots;
	progress_slot slots[FLEXIBLE_ARRAY_MEMBER];
} progress_shared;

static progress_shared *shared = NULL;
static shmem_request_hook_type prev_request = NULL;
static shmem_startup_hook_type prev_startup = NULL;
static bool notices = false;

/* this backend's training */
static bool active = false;
static char my_name[NAMEDATALEN];
static int	my_phase;
static int64 my_estimate;
static int64 my_rows;			/* read by this backend */
static int64 unflushed;			/* of those, not yet in the shared counter */
static TimestampTz my_started,
			last_notice;
static progress_slot *my_slot = NULL;

/* a parallel worker's leader's training, while it reads */
static progress_slot *leader_slot = NULL;
static uint64 leader_serial;
static bool leader_looked = false;
static int64 worker_unflushed = 0;

/* The size of the shared slots. */
static Size
shared_size(void)
{
	return add_size(offsetof(progress_shared, slots), mul_size(MaxBackends, sizeof(progress_slot)));
}

/* Shared memory request hook: room for one slot per backend. */
static void
progress_request(void)
{
	if (prev_request)
		prev_request();
	RequestAddinShmemSpace(shared_size());
}

/* Shared memory startup hook: find or make the slots. */
static void
progress_startup(void)
{
	bool		found;

	if (prev_startup)
		prev_startup();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	shared = ShmemInitStruct("anomaly training progress", shared_size(), &found);
	if (!found)
	{
		shared->n_slots = MaxBackends;
		for (int i = 0; i < MaxBackends; i++)
		{
			SpinLockInit(&shared->slots[i].mutex);
			shared->slots[i].pid = 0;
			pg_atomic_init_u64(&shared->slots[i].rows, 0);
		}
	}
	LWLockRelease(AddinShmemInitLock);
}

/* The slot of proc, or NULL without shared memory. */
static progress_slot *
slot_of(PGPROC *proc)
{
	int			n;

	if (shared == NULL || proc == NULL)
		return NULL;
	n = an_proc_number(proc);
	return n >= 0 && n < shared->n_slots ? &shared->slots[n] : NULL;
}

/* Add the rows this backend counted to the shared counter. */
static void
flush_rows(void)
{
	if (my_slot && unflushed > 0)
		pg_atomic_fetch_add_u64(&my_slot->rows, (uint64) unflushed);
	unflushed = 0;
}

/* Rows read so far: the shared counter (workers' included) or our own. */
static int64
rows_read(void)
{
	return my_slot ? (int64) pg_atomic_read_u64(&my_slot->rows) : my_rows;
}

/* Seconds from start to stop. */
static double
seconds_between(TimestampTz start, TimestampTz stop)
{
	return (double) (stop - start) / 1e6;
}

/* Seconds left in reading, from the pace so far; negative if unknown. */
static double
reading_left(int64 rows, int64 estimate, TimestampTz started, TimestampTz now)
{
	if (estimate <= 0 || rows <= 0)
		return -1;
	if (rows >= estimate)
		return 0;
	return seconds_between(started, now) * (double) (estimate - rows) / (double) rows;
}

/* Clear this backend's training (at its end, or when its transaction ends). */
static void
progress_clear(void)
{
	if (my_slot)
	{
		SpinLockAcquire(&my_slot->mutex);
		my_slot->pid = 0;
		SpinLockRelease(&my_slot->mutex);
	}
	active = false;
	my_slot = NULL;
}

/* Transaction callback: an ERROR ends a training without an_progress_end. */
static void
progress_xact_end(XactEvent event, void *arg)
{
	if (active && (event == XACT_EVENT_ABORT || event == XACT_EVENT_COMMIT ||
				   event == XACT_EVENT_PARALLEL_ABORT || event == XACT_EVENT_PARALLEL_COMMIT))
		progress_clear();
}

/* Exit callback of a parallel worker: add the rows it has not added yet. */
static void
worker_exit(int code, Datum arg)
{
	if (leader_slot == NULL || worker_unflushed == 0)
		return;
	SpinLockAcquire(&leader_slot->mutex);
	if (leader_slot->serial == leader_serial && leader_slot->phase == AN_PROGRESS_READING)
		pg_atomic_fetch_add_u64(&leader_slot->rows, (uint64) worker_unflushed);
	SpinLockRelease(&leader_slot->mutex);
	worker_unflushed = 0;
}

/* Define anomaly.progress and, when preloaded, ask for shared memory (from _PG_init). */
void
an_progress_init(void)
{
	DefineCustomBoolVariable("anomaly.progress",
							 "Report the progress of anomaly_train as NOTICEs.",
							 "A NOTICE at each phase, and every 5 seconds while the source is read.",
							 &notices, false, PGC_USERSET, 0, NULL, NULL, NULL);
	RegisterXactCallback(progress_xact_end, NULL);
	if (!process_shared_preload_libraries_in_progress)
		return;
	prev_request = shmem_request_hook;
	shmem_request_hook = progress_request;
	prev_startup = shmem_startup_hook;
	shmem_startup_hook = progress_startup;
}

/*
 * The planner's estimate of the rows of from (a FROM clause; SPI
 * connected), or -1.  Only asked when someone can see it.
 */
static int64
planned_rows(const char *from)
{
	char	   *plan;
	const char *at;

	if (SPI_execute(psprintf("EXPLAIN (FORMAT JSON) SELECT FROM %s s0", from), false, 0) != SPI_OK_UTILITY ||
		SPI_processed < 1)
		return -1;
	plan = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	at = plan ? strstr(plan, "\"Plan Rows\": ") : NULL;
	return at ? (int64) strtod(at + 13, NULL) : -1;
}

/* A NOTICE of where training is (with anomaly.progress = on). */
static void
notice_progress(TimestampTz now)
{
	int64		rows = rows_read();
	double		left = my_phase == AN_PROGRESS_READING
		? reading_left(rows, my_estimate, my_started, now) : -1;

	last_notice = now;
	if (my_phase == AN_PROGRESS_READING && my_estimate > 0)
		ereport(NOTICE,
				(errmsg("anomaly_train \"%s\": reading, %lld of about %lld rows", my_name,
						(long long) rows, (long long) my_estimate),
				 left >= 0 ? errdetail("%.1f s so far, about %.0f s left in reading.",
									   seconds_between(my_started, now), left) : 0));
	else
		ereport(NOTICE,
				(errmsg("anomaly_train \"%s\": %s, %lld rows read", my_name, phase_names[my_phase],
						(long long) rows),
				 errdetail("%.1f s so far.", seconds_between(my_started, now))));
}

/*
 * Start reporting a training of name over from (SPI connected): the
 * reading phase, with the planner's estimate of the source's rows.
 */
void
an_progress_begin(const char *name, const char *from)
{
	TimestampTz now = GetCurrentTimestamp();

	my_slot = MyProc ? slot_of(MyProc) : NULL;
	strlcpy(my_name, name, NAMEDATALEN);
	my_phase = AN_PROGRESS_READING;
	my_estimate = (my_slot || notices) ? planned_rows(from) : -1;
	my_rows = unflushed = 0;
	my_started = last_notice = now;
	active = true;
	if (my_slot)
	{
		SpinLockAcquire(&my_slot->mutex);
		my_slot->serial++;
		my_slot->userid = GetUserId();
		strlcpy(my_slot->name, name, NAMEDATALEN);
		my_slot->phase = AN_PROGRESS_READING;
		my_slot->estimate = my_estimate;
		my_slot->started = my_slot->phase_started = now;
		my_slot->read_until = 0;
		pg_atomic_write_u64(&my_slot->rows, 0);
		my_slot->pid = MyProcPid;
		SpinLockRelease(&my_slot->mutex);
	}
	if (notices)
		notice_progress(now);
}

/* Enter phase (an_progress_phase); a NOTICE says so with anomaly.progress = on. */
void
an_progress_phase(int phase)
{
	TimestampTz now;

	if (!active || phase == my_phase)
		return;
	now = GetCurrentTimestamp();
	flush_rows();
	if (my_slot)
	{
		SpinLockAcquire(&my_slot->mutex);
		if (my_slot->phase == AN_PROGRESS_READING)
			my_slot->read_until = now;
		my_slot->phase = phase;
		my_slot->phase_started = now;
		SpinLockRelease(&my_slot->mutex);
	}
	my_phase = phase;
	if (notices)
		notice_progress(now);
}

/* The core's phase hook: fitting and calibrating the model. */
void
an_progress_core_phase(int phase)
{
	an_progress_phase(phase == AN_PHASE_FITTING ? AN_PROGRESS_FITTING : AN_PROGRESS_CALIBRATING);
}

/* The training has read rows rows in all (the model's count): exact from now on. */
void
an_progress_set_rows(int64 rows)
{
	if (!active)
		return;
	my_rows = rows;
	unflushed = 0;
	if (my_slot)
		pg_atomic_write_u64(&my_slot->rows, (uint64) rows);
}

/* A parallel worker: the slot of its leader when the leader is reading. */
static void
worker_find_leader(void)
{
	progress_slot *slot;

	leader_looked = true;
	slot = MyProc ? slot_of(MyProc->lockGroupLeader) : NULL;
	if (slot == NULL)
		return;
	SpinLockAcquire(&slot->mutex);
	if (slot->pid == MyProc->lockGroupLeader->pid && slot->phase == AN_PROGRESS_READING)
	{
		leader_slot = slot;
		leader_serial = slot->serial;
	}
	SpinLockRelease(&slot->mutex);
	if (leader_slot)
		before_shmem_exit(worker_exit, (Datum) 0);
}

/*
 * One row folded into a training state (anomaly_fit_accum): counted while
 * this backend, or a parallel worker's leader, reads for anomaly_train.
 */
void
an_progress_row(void)
{
	if (active)
	{
		TimestampTz now;

		if (my_phase != AN_PROGRESS_READING)
			return;
		my_rows++;
		if (++unflushed < ROW_BATCH)
			return;
		flush_rows();
		if (!notices)
			return;
		now = GetCurrentTimestamp();
		if (TimestampDifferenceExceeds(last_notice, now, NOTICE_EVERY_MS))
			notice_progress(now);
		return;
	}
	if (!IsParallelWorker() || shared == NULL)
		return;
	if (!leader_looked)
		worker_find_leader();
	if (leader_slot == NULL || ++worker_unflushed < ROW_BATCH)
		return;
	pg_atomic_fetch_add_u64(&leader_slot->rows, (uint64) worker_unflushed);
	worker_unflushed = 0;
}

/* The training ended: stop reporting it. */
void
an_progress_end(void)
{
	if (active && notices)
	{
		TimestampTz now = GetCurrentTimestamp();

		ereport(NOTICE,
				(errmsg("anomaly_train \"%s\": done, %lld rows read", my_name, (long long) rows_read()),
				 errdetail("%.1f s in all.", seconds_between(my_started, now))));
	}
	progress_clear();
}

/*
 * anomaly_training_progress(): the trainings running now that the caller
 * may see (pid, model name, phase, rows read, estimate, percent read,
 * started, phase started, time left in reading); empty unless preloaded.
 */
Datum
anomaly_training_progress(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	TimestampTz now = GetCurrentTimestamp();

	InitMaterializedSRF(fcinfo, 0);
	if (shared == NULL)
		return (Datum) 0;
	for (int i = 0; i < shared->n_slots; i++)
	{
		progress_slot *slot = &shared->slots[i];
		progress_slot copy;
		Datum		values[9];
		bool		nulls[9] = {false};
		int64		rows;
		double		left;

		SpinLockAcquire(&slot->mutex);
		copy = *slot;
		SpinLockRelease(&slot->mutex);
		if (copy.pid == 0 ||
			!(has_privs_of_role(GetUserId(), copy.userid) ||
			  has_privs_of_role(GetUserId(), ROLE_PG_READ_ALL_STATS)))
			continue;
		rows = (int64) pg_atomic_read_u64(&slot->rows);
		values[0] = Int32GetDatum(copy.pid);
		values[1] = CStringGetTextDatum(copy.name);
		values[2] = CStringGetTextDatum(phase_names[copy.phase]);
		values[3] = Int64GetDatum(rows);
		values[4] = Int64GetDatum(copy.estimate);
		nulls[4] = copy.estimate < 0;
		values[5] = Float8GetDatum(copy.estimate > 0 ? Min(100.0, 100.0 * rows / copy.estimate) : 0);
		nulls[5] = copy.estimate <= 0;
		values[6] = TimestampTzGetDatum(copy.started);
		values[7] = TimestampTzGetDatum(copy.phase_started);
		left = copy.phase == AN_PROGRESS_READING ? reading_left(rows, copy.estimate, copy.started, now)
			: (copy.read_until ? 0 : -1);
		nulls[8] = left < 0;
		if (left >= 0)
		{
			Interval   *iv = palloc0(sizeof(Interval));

			iv->time = (int64) (left * 1e6);
			values[8] = IntervalPGetDatum(iv);
		}
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
