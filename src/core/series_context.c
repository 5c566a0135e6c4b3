/*
 * series_context.c - the contextual anomaly detector of the series method
 * "context", after Mikhail Smirnov's CAD OSE (Contextual Anomaly Detector,
 * open source edition, 2016, https://github.com/smirmik/CAD; the winner of
 * Numenta's NAB competition of 2016, NAB's "contextOSE" detector).  Written
 * here from its description; the one departure is that the value range is
 * the learning period's, not the whole file's, so the detector is causal,
 * unless the user gives the range (an_context_fix_range: what NAB's harness
 * gives every detector, a file's minimum and maximum).
 *
 * A value is quantized to a level, (value - min) / ((max - min) / 7), over
 * the range of the learning values, so the range spans levels 0 to 7 (three
 * bits); a value beyond it gets a level of its own, whose facts are apart
 * from the range's (see quantize).  Bit i of the level set or clear is the fact 2i + 1
 * or 2i.  A context is a pair (left facts, right facts): the left side is
 * what the previous step knew (its value's facts and the ids of up to 15
 * contexts that were active then, the "neurons", taken as facts of their
 * own), the right side the facts of a value.  Contexts share their sides
 * ("semi-contexts") through one table per side.  At each step:
 *   - the zero-level context (previous left facts, current facts) is looked
 *     up, and made when it is new;
 *   - a context is selected when its left side is wholly among the previous
 *     left facts, and active when its right side is also wholly among the
 *     current facts; an active context's count grows, and the 15 counted
 *     most become the neurons of the next left facts;
 *   - when the zero-level context was new, each zero-level context whose
 *     left side overlaps the previous left facts in at most 7 facts and
 *     whose right side overlaps the current facts (without both sides being
 *     wholly present) proposes the context made of the two overlaps;
 *   - the raw score is (1 - active / selected + new / proposed) / 2, where
 *     proposed counts the distinct proposals and the zero-level context,
 *     and new those that were not in memory (0 when the zero-level context
 *     was known).
 * After a raw score of 0.75 or more the output is 0 for a rest period of a
 * fifth of the learning period (one incident is reported once).
 *
 * Memory is bounded: at most AN_CONTEXT_MAX contexts, and so at most as many
 * semi-contexts a side.  At the cap no context is made any more; a proposal
 * that is not in memory still counts as new (it was not foreseen), so the
 * score keeps its meaning while learning stops.
 *
 * What a step reads is found without crossing every semi-context: a context
 * is selected only when its left side is wholly among the previous left
 * facts, so such sides are looked up through an index of the left sides by
 * one of their neuron facts (index_left); proposals come only from
 * zero-level contexts, so a novel step crosses only the left sides of those
 * (zero_lefts), in the order of their ids as before; a right side is crossed
 * when a context met needs it.  The index and zero_lefts are derived from
 * the state, rebuilt when it is read and never written, so the bytes and
 * every score are the same as when every semi-context was crossed.
 */
#include "series_context.h"

#include "buckets.h"

#include <math.h>
#include <string.h>

#define LEVEL_BITS 3			/* levels 0..7 span the learning range */
#define RANGE_LEVELS 7.0
#define NEURONS 15				/* contexts carried to the next left side */
#define PARTIAL_MAX 7			/* longest left overlap that proposes a context */
#define HIGH_SCORE 0.75			/* a raw score that starts a rest */
#define LEVEL_LIMIT 1099511627776.0 /* 2^40: levels are clamped to +-this */
#define ABOVE_FACT 127		/* a level above the range, then its bits: */
#define ABOVE_BASE 128
#define BELOW_FACT 255		/* a level below the range, then its bits: */
#define BELOW_BASE 256
#define MAX_SENSOR 42			/* 41 bits of a level and its side */
#define MAX_LEFT (MAX_SENSOR + NEURONS)
#define NEURON_FACT 0x80000000u /* + context id */
#define LEFT 0
#define RIGHT 1
#define SENSOR_WORDS 6			/* bit map words of the sensor facts, < 384 */
#define SENSOR_ONLY 0			/* the bucket of left sides without a neuron */

/* One side's semi-contexts: their facts, lists of contexts (left side),
 * crossing counts (right side) and lookup table. */
typedef struct semi_side
{
	uint32_t   *facts;			/* pool: each semi-context's facts, sorted */
	uint32_t	n_facts;
	uint32_t	cap_facts;
	uint32_t   *first;			/* semi-context i: facts[first[i]..+len[i]) */
	uint8_t    *len;
	uint8_t    *crossed;		/* right side: its facts present at step */
	uint64_t   *crossed_at;		/* the step crossed was counted at */
	int32_t    *head;			/* left side: its first and last context */
	int32_t    *tail;
	int32_t		n;
	int32_t		cap;
	int32_t    *table;			/* open addressing: id + 1, 0 empty */
	uint32_t	table_cap;
} semi_side;

/* A context: its two sides, and how often it was active. */
typedef struct context_rec
{
	int32_t		left;
	int32_t		right;
	int32_t		next;			/* next context of the same left side, -1 */
	uint32_t	count;
	uint64_t	stamp;			/* step it was last proposed at */
	uint8_t		zero;			/* made or seen as a zero-level context */
} context_rec;

/* A context proposed at this step: facts in the proposal pool. */
typedef struct proposal
{
	uint32_t	first;
	uint8_t		n_left;
	uint8_t		n_right;
} proposal;

/* An active context and its count, for choosing the neurons. */
typedef struct active_rec
{
	int32_t		id;
	uint32_t	count;
} active_rec;

struct an_context
{
	an_ctx	   *ctx;
	int			rest;			/* points of output 0 after a high raw score */
	int			range_need;		/* learning values the range is taken from */
	int			n_range;
	double	   *range_values;	/* the values until the range is set */
	int			ranged;
	double		lo;				/* the range's minimum */
	double		step;			/* one level */
	uint64_t	steps;
	uint64_t	high_at;		/* step of the last high raw score */
	uint32_t	left[MAX_LEFT]; /* the previous step's left facts */
	int			n_left;
	semi_side	sides[2];
	context_rec *contexts;
	int32_t		n_contexts;
	int32_t		cap_contexts;
	int32_t    *table;			/* contexts by (left, right): id + 1 */
	uint32_t	table_cap;
	/* derived from the above, rebuilt when read, never written: */
	an_buckets	by_neuron;		/* left sides under one neuron fact (id + 1) */
	uint64_t   *zero_lefts;		/* bit map: left sides of a zero-level context */
	int32_t		cap_zero_lefts;	/* words */
	uint64_t   *left_sigs;		/* each left side's signature (facts_sig) */
	int32_t		cap_left_sigs;
	/* scratch of one step */
	uint64_t   *left_bits;		/* the previous left facts, by left_bit */
	uint64_t	right_bits[SENSOR_WORDS];	/* the current facts */
	uint64_t	left_sig;		/* the previous left facts' signature */
	active_rec	top[NEURONS];	/* the active contexts ranked first */
	int32_t		n_top;
	int32_t		n_active;
	proposal   *proposals;
	int32_t		n_proposals;
	int32_t		cap_proposals;
	uint32_t   *proposal_facts;
	uint32_t	n_proposal_facts;
	uint32_t	cap_proposal_facts;
};

/* A copy of old (old_bytes) in a new zeroed block of new_bytes: arrays grow
 * by doubling, and the allocator frees the old block with its context. */
static void *
grow(an_ctx *ctx, void *old, size_t old_bytes, size_t new_bytes)
{
	void	   *p = an_alloc(ctx, new_bytes);

	if (old_bytes > 0)
		memcpy(p, old, old_bytes);
	return p;
}

/* Grow *words (of *cap entries) by doubling, from 64, until index at fits. */
static void
reserve_words(an_ctx *ctx, uint64_t **words, int32_t *cap, int32_t at)
{
	int32_t		n;

	if (at < *cap)
		return;
	n = *cap ? 2 * *cap : 64;
	while (n <= at)
		n *= 2;
	*words = grow(ctx, *words, (size_t) *cap * sizeof(uint64_t), (size_t) n * sizeof(uint64_t));
	*cap = n;
}

/* FNV-1a hash of a fact set. */
static uint32_t
facts_hash(const uint32_t *f, int n)
{
	uint32_t	h = 2166136261u;

	for (int i = 0; i < n; i++)
		for (int b = 0; b < 32; b += 8)
			h = (h ^ ((f[i] >> b) & 0xff)) * 16777619u;
	return h;
}

/* Hash of a context's two side ids. */
static uint32_t
pair_hash(int32_t left, int32_t right)
{
	uint64_t	k = ((uint64_t) (uint32_t) left << 32) | (uint32_t) right;

	k *= UINT64_C(0x9E3779B97F4A7C15);
	return (uint32_t) (k >> 32);
}

/* The facts of semi-context id on side sd. */
static const uint32_t *
semi_facts(const semi_side *sd, int32_t id)
{
	return sd->facts + sd->first[id];
}

/* Put semi-context id in its side's table (the table has room). */
static void
semi_index(semi_side *sd, int32_t id)
{
	uint32_t	mask = sd->table_cap - 1;
	uint32_t	h = facts_hash(semi_facts(sd, id), sd->len[id]) & mask;

	while (sd->table[h] != 0)
		h = (h + 1) & mask;
	sd->table[h] = id + 1;
}

/* Room for one more semi-context on side sd and n more facts. */
static void
semi_reserve(an_ctx *ctx, semi_side *sd, int n)
{
	if (sd->n_facts + (uint32_t) n > sd->cap_facts)
	{
		uint32_t	cap = sd->cap_facts ? 2 * sd->cap_facts : 1024;

		while (cap < sd->n_facts + (uint32_t) n)
			cap *= 2;
		sd->facts = grow(ctx, sd->facts, sd->n_facts * sizeof(uint32_t), cap * sizeof(uint32_t));
		sd->cap_facts = cap;
	}
	if (sd->n == sd->cap)
	{
		int32_t		cap = sd->cap ? 2 * sd->cap : 64;
		size_t		n = (size_t) sd->n;

		sd->first = grow(ctx, sd->first, n * sizeof(uint32_t), (size_t) cap * sizeof(uint32_t));
		sd->len = grow(ctx, sd->len, n, (size_t) cap);
		sd->crossed = grow(ctx, sd->crossed, n, (size_t) cap);
		sd->crossed_at = grow(ctx, sd->crossed_at, n * sizeof(uint64_t),
							  (size_t) cap * sizeof(uint64_t));
		sd->head = grow(ctx, sd->head, n * sizeof(int32_t), (size_t) cap * sizeof(int32_t));
		sd->tail = grow(ctx, sd->tail, n * sizeof(int32_t), (size_t) cap * sizeof(int32_t));
		sd->cap = cap;
	}
	if ((uint32_t) (sd->n + 1) * 2 > sd->table_cap)
	{
		sd->table_cap = sd->table_cap ? 2 * sd->table_cap : 256;
		sd->table = an_alloc(ctx, sd->table_cap * sizeof(int32_t));
		for (int32_t i = 0; i < sd->n; i++)
			semi_index(sd, i);
	}
}

/* Append a semi-context with facts f[0..n) to side sd; its id. */
static int32_t
semi_add(an_ctx *ctx, semi_side *sd, const uint32_t *f, int n)
{
	int32_t		id;

	semi_reserve(ctx, sd, n);
	id = sd->n++;
	sd->first[id] = sd->n_facts;
	sd->len[id] = (uint8_t) n;
	sd->head[id] = sd->tail[id] = -1;
	memcpy(sd->facts + sd->n_facts, f, (size_t) n * sizeof(uint32_t));
	sd->n_facts += (uint32_t) n;
	semi_index(sd, id);
	return id;
}

/* The semi-context of side sd with exactly the facts f[0..n), or -1. */
static int32_t
semi_find(const semi_side *sd, const uint32_t *f, int n)
{
	uint32_t	mask = sd->table_cap - 1;

	if (sd->table_cap == 0)
		return -1;
	for (uint32_t h = facts_hash(f, n) & mask; sd->table[h] != 0; h = (h + 1) & mask)
	{
		int32_t		id = sd->table[h] - 1;

		if (sd->len[id] == n && memcmp(semi_facts(sd, id), f, (size_t) n * sizeof(uint32_t)) == 0)
			return id;
	}
	return -1;
}

/* Put context id in the context table (the table has room). */
static void
context_index(an_context *c, int32_t id)
{
	uint32_t	mask = c->table_cap - 1;
	uint32_t	h = pair_hash(c->contexts[id].left, c->contexts[id].right) & mask;

	while (c->table[h] != 0)
		h = (h + 1) & mask;
	c->table[h] = id + 1;
}

/* The context of the two sides, or -1. */
static int32_t
context_find(const an_context *c, int32_t left, int32_t right)
{
	uint32_t	mask = c->table_cap - 1;

	if (c->table_cap == 0)
		return -1;
	for (uint32_t h = pair_hash(left, right) & mask; c->table[h] != 0; h = (h + 1) & mask)
	{
		int32_t		id = c->table[h] - 1;

		if (c->contexts[id].left == left && c->contexts[id].right == right)
			return id;
	}
	return -1;
}

/* Note that left side l has a zero-level context (bit l of zero_lefts). */
static void
mark_zero_left(an_context *c, int32_t l)
{
	int32_t		word = l >> 6;

	reserve_words(c->ctx, &c->zero_lefts, &c->cap_zero_lefts, word);
	c->zero_lefts[word] |= UINT64_C(1) << (l & 63);
}

/* Append the context (left, right), last of its left side's list; its id. */
static int32_t
context_add(an_context *c, int32_t left, int32_t right, int zero)
{
	semi_side  *ls = &c->sides[LEFT];
	int32_t		id;

	if (c->n_contexts == c->cap_contexts)
	{
		int32_t		cap = c->cap_contexts ? 2 * c->cap_contexts : 64;

		c->contexts = grow(c->ctx, c->contexts, (size_t) c->n_contexts * sizeof(context_rec),
						   (size_t) cap * sizeof(context_rec));
		c->cap_contexts = cap;
	}
	if ((uint32_t) (c->n_contexts + 1) * 2 > c->table_cap)
	{
		c->table_cap = c->table_cap ? 2 * c->table_cap : 256;
		c->table = an_alloc(c->ctx, c->table_cap * sizeof(int32_t));
		for (int32_t i = 0; i < c->n_contexts; i++)
			context_index(c, i);
	}
	id = c->n_contexts++;
	c->contexts[id].left = left;
	c->contexts[id].right = right;
	c->contexts[id].next = -1;
	c->contexts[id].zero = (uint8_t) zero;
	if (zero)
		mark_zero_left(c, left);
	if (ls->tail[left] >= 0)
		c->contexts[ls->tail[left]].next = id;
	else
		ls->head[left] = id;
	ls->tail[left] = id;
	context_index(c, id);
	return id;
}

/*
 * The signature of the facts f[0..n): a sensor fact below 32 sets its own
 * bit, any other fact one of the high 32 bits chosen by a multiplicative
 * hash.  A set whose signature has a bit the signature of another lacks is
 * not a subset of it: most left sides that are not wholly among the previous
 * left facts are told so without reading their facts.
 */
static uint64_t
facts_sig(const uint32_t *f, int n)
{
	uint64_t	sig = 0;

	for (int i = 0; i < n; i++)
		sig |= f[i] < 32 ? UINT64_C(1) << f[i] : UINT64_C(1) << (32 + ((f[i] * 2654435761u) >> 27));
	return sig;
}

/*
 * List left side l in the index by_neuron: under the one of its neuron
 * facts whose bucket is the smallest then (the first of equals), or under
 * SENSOR_ONLY without one.  A left side can be wholly among the previous
 * left facts only when that neuron is among them, so the buckets of their
 * neurons (at most NEURONS) and SENSOR_ONLY hold every candidate.
 */
static void
index_left(an_context *c, int32_t l)
{
	const semi_side *ls = &c->sides[LEFT];
	const uint32_t *f = semi_facts(ls, l);
	int32_t		key = SENSOR_ONLY;

	for (int i = 0; i < ls->len[l]; i++)
		if (f[i] >= NEURON_FACT)
		{
			int32_t		k = (int32_t) (f[i] - NEURON_FACT) + 1;

			if (key == SENSOR_ONLY ||
				an_buckets_size(&c->by_neuron, k) < an_buckets_size(&c->by_neuron, key))
				key = k;
		}
	an_buckets_add(c->ctx, &c->by_neuron, key, l);
	reserve_words(c->ctx, &c->left_sigs, &c->cap_left_sigs, l);
	c->left_sigs[l] = facts_sig(f, ls->len[l]);
}

/*
 * The context with left facts lf[0..ln) and right facts rf[0..rn), made
 * (with the zero-level mark given) when absent and below the cap; *made says
 * whether it was not in memory.  -1 when absent at the cap.
 */
static int32_t
context_get(an_context *c, const uint32_t *lf, int ln, const uint32_t *rf, int rn,
			int zero, int *made)
{
	int32_t		left = semi_find(&c->sides[LEFT], lf, ln);
	int32_t		right = semi_find(&c->sides[RIGHT], rf, rn);
	int32_t		id = left >= 0 && right >= 0 ? context_find(c, left, right) : -1;

	*made = id < 0;
	if (id >= 0 || c->n_contexts >= AN_CONTEXT_MAX)
		return id;
	if (left < 0)
	{
		left = semi_add(c->ctx, &c->sides[LEFT], lf, ln);
		index_left(c, left);
	}
	if (right < 0)
		right = semi_add(c->ctx, &c->sides[RIGHT], rf, rn);
	return context_add(c, left, right, zero);
}

/* The bit of fact f in left_bits: sensor facts (< 384) first, then neuron
 * facts by context id; without a branch. */
static inline uint32_t
left_bit(uint32_t f)
{
	return (f & ~NEURON_FACT) + (f >> 31) * (SENSOR_WORDS * 64);
}

/* Set (on) or clear bit i of the bit map bits. */
static inline void
set_bit(uint64_t *bits, uint32_t i, int on)
{
	uint64_t	bit = UINT64_C(1) << (i & 63);

	bits[i >> 6] = on ? bits[i >> 6] | bit : bits[i >> 6] & ~bit;
}

/* Mark (on) or clear the previous left facts in left_bits and the current
 * facts f[0..n) in right_bits. */
static void
mark(an_context *c, const uint32_t *f, int n, int on)
{
	for (int i = 0; i < c->n_left; i++)
		set_bit(c->left_bits, left_bit(c->left[i]), on);
	for (int i = 0; i < n; i++)
		set_bit(c->right_bits, f[i], on);
	c->left_sig = on ? facts_sig(c->left, c->n_left) : 0;
}

/* Whether fact f is among the previous left facts (marked). */
static inline int
left_has(const an_context *c, uint32_t f)
{
	uint32_t	i = left_bit(f);

	return (int) ((c->left_bits[i >> 6] >> (i & 63)) & 1);
}

/* Whether every fact of left side l is among the previous left facts: its
 * signature first, then its neuron facts, last, which fail most. */
static int
left_whole(const an_context *c, int32_t l)
{
	const semi_side *ls = &c->sides[LEFT];
	const uint32_t *f = semi_facts(ls, l);

	if ((c->left_sigs[l] & ~c->left_sig) != 0)
		return 0;
	for (int i = ls->len[l] - 1; i >= 0; i--)
		if (!left_has(c, f[i]))
			return 0;
	return 1;
}

/* Whether sensor fact f is among the current facts (marked). */
static inline int
right_has(const an_context *c, uint32_t f)
{
	return (int) ((c->right_bits[f >> 6] >> (f & 63)) & 1);
}

/* How many facts of right side r are among the current facts, counted once
 * a step. */
static int
right_crossed(an_context *c, int32_t r)
{
	semi_side  *rs = &c->sides[RIGHT];

	if (rs->crossed_at[r] != c->steps)
	{
		const uint32_t *f = semi_facts(rs, r);
		int			both = 0;

		for (int i = 0; i < rs->len[r]; i++)
			both += right_has(c, f[i]);
		rs->crossed[r] = (uint8_t) both;
		rs->crossed_at[r] = c->steps;
	}
	return rs->crossed[r];
}

/* The facts of left side l that are among the previous left facts, in
 * order, into out; how many, but it stops at PARTIAL_MAX + 1 (too many to
 * propose). */
static int
left_overlap(const an_context *c, int32_t l, uint32_t *out)
{
	const semi_side *ls = &c->sides[LEFT];
	const uint32_t *f = semi_facts(ls, l);
	int			k = 0;

	for (int i = 0; i < ls->len[l] && k <= PARTIAL_MAX; i++)
		if (left_has(c, f[i]))
			out[k++] = f[i];
	return k;
}

/* The facts of right side r that are among the current facts, in order,
 * into out; how many. */
static int
right_overlap(const an_context *c, int32_t r, uint32_t *out)
{
	const semi_side *rs = &c->sides[RIGHT];
	const uint32_t *f = semi_facts(rs, r);
	int			k = 0;

	for (int i = 0; i < rs->len[r]; i++)
		if (right_has(c, f[i]))
			out[k++] = f[i];
	return k;
}

/* Record the proposal made of the left facts lf[0..ln) (a left side's
 * overlap with the previous left facts) and right semi-context r's overlap
 * with the current facts. */
static void
propose(an_context *c, const uint32_t *lf, int ln, int32_t r)
{
	proposal   *p;

	if (c->n_proposals == c->cap_proposals)
	{
		int32_t		cap = c->cap_proposals ? 2 * c->cap_proposals : 64;

		c->proposals = grow(c->ctx, c->proposals, (size_t) c->n_proposals * sizeof(proposal),
							(size_t) cap * sizeof(proposal));
		c->cap_proposals = cap;
	}
	if (c->n_proposal_facts + MAX_LEFT + MAX_SENSOR > c->cap_proposal_facts)
	{
		uint32_t	cap = c->cap_proposal_facts ? 2 * c->cap_proposal_facts : 1024;

		c->proposal_facts = grow(c->ctx, c->proposal_facts, c->n_proposal_facts * sizeof(uint32_t),
								 cap * sizeof(uint32_t));
		c->cap_proposal_facts = cap;
	}
	p = &c->proposals[c->n_proposals++];
	p->first = c->n_proposal_facts;
	p->n_left = (uint8_t) ln;
	memcpy(c->proposal_facts + p->first, lf, (size_t) ln * sizeof(uint32_t));
	p->n_right = (uint8_t) right_overlap(c, r, c->proposal_facts + p->first + p->n_left);
	c->n_proposal_facts += (uint32_t) p->n_left + p->n_right;
}

/* Whether active a ranks before b: counted more, then older. */
static int
ranks_before(const active_rec *a, const active_rec *b)
{
	return a->count > b->count || (a->count == b->count && a->id < b->id);
}

/* Count active context id (its count just grown), and keep it in top, in
 * rank order, when it ranks among the first NEURONS so far. */
static void
keep_active(an_context *c, int32_t id)
{
	active_rec	a;
	int			j;

	a.id = id;
	a.count = c->contexts[id].count;
	c->n_active++;
	if (c->n_top == NEURONS && !ranks_before(&a, &c->top[NEURONS - 1]))
		return;
	j = c->n_top < NEURONS ? c->n_top++ : NEURONS - 1;
	for (; j > 0 && ranks_before(&a, &c->top[j - 1]); j--)
		c->top[j] = c->top[j - 1];
	c->top[j] = a;
}

/* Count the contexts of left side l, wholly among the previous left facts,
 * but skip as selected; grow and keep those whose right side is wholly among
 * the current facts (active).  Returns how many were selected. */
static int
select_left(an_context *c, int32_t l, int32_t skip)
{
	const semi_side *rs = &c->sides[RIGHT];
	int			selected = 0;

	for (int32_t id = c->sides[LEFT].head[l]; id >= 0; id = c->contexts[id].next)
	{
		context_rec *x = &c->contexts[id];

		if (id == skip)
			continue;
		selected++;
		if (right_crossed(c, x->right) == rs->len[x->right])
		{
			x->count++;
			keep_active(c, id);
		}
	}
	return selected;
}

/* Select from the left sides of one bucket of by_neuron those wholly among
 * the previous left facts; how many contexts were selected. */
static int
select_bucket(an_context *c, int32_t key, int32_t skip)
{
	int			selected = 0;

	for (int32_t l = an_buckets_first(&c->by_neuron, key); l >= 0; l = an_buckets_next(&c->by_neuron, l))
		if (left_whole(c, l))
			selected += select_left(c, l, skip);
	return selected;
}

/*
 * Count the selected contexts (left side wholly among the previous left
 * facts), but skip; grow and keep the active ones.  Only the buckets of the
 * neurons among the previous left facts and SENSOR_ONLY can hold such a left
 * side (index_left).  The order they are met in does not matter: each
 * context is counted once, and the neurons are ranked by count and id.
 * Returns the number selected.
 */
static int
select_contexts(an_context *c, int32_t skip)
{
	int			selected = select_bucket(c, SENSOR_ONLY, skip);

	for (int i = c->n_left - 1; i >= 0 && c->left[i] >= NEURON_FACT; i--)
		selected += select_bucket(c, (int32_t) (c->left[i] - NEURON_FACT) + 1, skip);
	return selected;
}

/*
 * Record the proposals of this (novel) step, in the order of the left
 * sides' ids and then of their contexts': each zero-level context but skip
 * whose left side overlaps the previous left facts in 1 to PARTIAL_MAX facts
 * and whose right side overlaps the current facts, without both sides being
 * wholly present.  Only the left sides of zero-level contexts (zero_lefts)
 * are crossed.
 */
static void
propose_all(an_context *c, int32_t skip)
{
	const semi_side *ls = &c->sides[LEFT];
	const semi_side *rs = &c->sides[RIGHT];
	int32_t		words = (ls->n + 63) >> 6;

	if (words > c->cap_zero_lefts)
		words = c->cap_zero_lefts;
	for (int32_t w = 0; w < words; w++)
		for (uint64_t bits = c->zero_lefts[w], b = 0; bits != 0; bits >>= 1, b++)
		{
			int32_t		l = (w << 6) + (int32_t) b;
			uint32_t	lf[PARTIAL_MAX + 1];
			int			ln,
						whole;

			if ((bits & 1) == 0)
				continue;
			ln = left_overlap(c, l, lf);
			if (ln == 0 || ln > PARTIAL_MAX)
				continue;
			whole = ln == ls->len[l];
			for (int32_t id = ls->head[l]; id >= 0; id = c->contexts[id].next)
			{
				const context_rec *x = &c->contexts[id];
				int			right;

				if (!x->zero || id == skip)
					continue;
				right = right_crossed(c, x->right);
				if (right > 0 && !(whole && right == rs->len[x->right]))
					propose(c, lf, ln, x->right);
			}
		}
}

/* The next left facts: the current facts and the NEURONS contexts active
 * most (top), as facts of their own, sorted. */
static void
next_left(an_context *c, const uint32_t *facts, int n)
{
	memcpy(c->left, facts, (size_t) n * sizeof(uint32_t));
	c->n_left = n;
	for (int i = 0; i < c->n_top; i++)
	{
		uint32_t	f = NEURON_FACT + (uint32_t) c->top[i].id;
		int			j = c->n_left++;

		/* insertion keeps the facts sorted (neuron facts follow sensor ones) */
		while (j > n && c->left[j - 1] > f)
		{
			c->left[j] = c->left[j - 1];
			j--;
		}
		c->left[j] = f;
	}
}

/* Store the proposals; *distinct gets how many differ from each other and
 * from the zero-level context, returns how many of those were new. */
static int
store_proposals(an_context *c, int *distinct)
{
	int			added = 0;

	*distinct = 0;
	for (int32_t i = 0; i < c->n_proposals; i++)
	{
		const proposal *p = &c->proposals[i];
		const uint32_t *f = c->proposal_facts + p->first;
		int			made;
		int32_t		id = context_get(c, f, p->n_left, f + p->n_left, p->n_right, 0, &made);

		if (id >= 0 && !made && c->contexts[id].stamp == c->steps)
			continue;			/* proposed twice at this step */
		if (id >= 0)
			c->contexts[id].stamp = c->steps;
		(*distinct)++;
		added += made;
	}
	return added;
}

/* One step of the detector on the current facts; the raw score. */
static double
step(an_context *c, const uint32_t *facts, int n)
{
	int			novel = 0,
				selected,
				distinct = 0,
				added = 0;
	int32_t		zero = -1;
	double		active_share,
				new_share = 0;

	c->steps++;
	c->n_active = 0;
	c->n_top = 0;
	c->n_proposals = 0;
	c->n_proposal_facts = 0;
	if (c->n_left > 0)
	{
		zero = context_get(c, c->left, c->n_left, facts, n, 1, &novel);
		if (zero >= 0)
		{
			c->contexts[zero].zero = 1;
			mark_zero_left(c, c->contexts[zero].left);
			c->contexts[zero].stamp = c->steps;
		}
	}
	mark(c, facts, n, 1);
	selected = select_contexts(c, novel ? zero : -1);
	if (novel)
		propose_all(c, zero);
	mark(c, facts, n, 0);
	active_share = selected > 0 ? (double) c->n_active / selected : 0;
	next_left(c, facts, n);
	if (novel)
	{
		added = 1 + store_proposals(c, &distinct);
		new_share = (double) added / (1 + distinct);
	}
	return (1 - active_share + new_share) / 2;
}

/*
 * The facts of a value's level: bit i set or clear is 2i + 1 or 2i.  A level
 * of the range (0..7) has LEVEL_BITS bits; one above it is ABOVE_FACT and
 * the bits of its distance beyond level 8 from ABOVE_BASE on, one below it
 * BELOW_FACT and the bits of its distance below level -1 from BELOW_BASE on,
 * so a value beyond the range shares no fact with the range's levels.
 * Returns how many, sorted ascending.
 */
static int
quantize(const an_context *c, double value, uint32_t *facts)
{
	double		level = floor((value - c->lo) / c->step);
	uint32_t	base = 0;
	int			n = 0;
	uint64_t	code;

	if (!(level > -LEVEL_LIMIT))
		level = -LEVEL_LIMIT;
	if (level > LEVEL_LIMIT)
		level = LEVEL_LIMIT;
	if (level > RANGE_LEVELS)
	{
		facts[n++] = ABOVE_FACT;
		base = ABOVE_BASE;
		code = (uint64_t) (level - RANGE_LEVELS - 1);
	}
	else if (level < 0)
	{
		facts[n++] = BELOW_FACT;
		base = BELOW_BASE;
		code = (uint64_t) (-level - 1);
	}
	else
		code = (uint64_t) level;
	for (int i = 0; i < LEVEL_BITS || (code >> i) != 0; i++)
		facts[n++] = base + 2 * (uint32_t) i + (uint32_t) ((code >> i) & 1);
	return n;
}

/* Step on a value and apply the rest after a high raw score. */
static double
scored_step(an_context *c, double value)
{
	uint32_t	facts[MAX_SENSOR];
	int			n = quantize(c, value, facts);
	double		raw = step(c, facts, n);
	/* CAD starts as if a high score came just before the first value */
	double		out = c->steps - c->high_at <= (uint64_t) c->rest ? 0 : raw;

	if (raw >= HIGH_SCORE)
		c->high_at = c->steps;
	return out;
}

/*
 * The width of one level over a range [lo, hi], given or learnt: CAD OSE's
 * own, (max - min) / 7 (its minValueStep = fullValueRange / maxBinValue), so
 * a value on a level's edge falls where CAD puts it; divided before the
 * subtraction only when hi - lo overflows.
 */
double
an_context_level_step(double lo, double hi)
{
	if (!(hi > lo))
		return 0;
	return isfinite(hi - lo) ? (hi - lo) / RANGE_LEVELS : hi / RANGE_LEVELS - lo / RANGE_LEVELS;
}

/* Fix the value range to [lo, hi] instead of learning it. */
void
an_context_fix_range(an_context *c, double lo, double hi)
{
	c->lo = lo;
	c->step = an_context_level_step(lo, hi);
	c->ranged = 1;
	c->n_range = 0;
}

/* Whether c quantizes over the range [lo, hi]. */
int
an_context_range_is(const an_context *c, double lo, double hi)
{
	return c->ranged && c->lo == lo && c->step == an_context_level_step(lo, hi);
}

/* Fix the range from the values held, then replay them. */
static double
set_range(an_context *c)
{
	double		lo = c->range_values[0],
				hi = lo,
				score = 0;

	for (int i = 1; i < c->n_range; i++)
	{
		lo = fmin(lo, c->range_values[i]);
		hi = fmax(hi, c->range_values[i]);
	}
	c->lo = lo;
	/* a constant learning period: one level per unit, as CAD does */
	c->step = hi > lo ? an_context_level_step(lo, hi) : 1;
	c->ranged = 1;
	for (int i = 0; i < c->n_range; i++)
		score = scored_step(c, c->range_values[i]);
	c->n_range = 0;
	return score;
}

/* A new detector in its initial state. */
an_context *
an_context_create(an_ctx *ctx, int learning)
{
	an_context *c = an_alloc(ctx, sizeof(an_context));

	c->ctx = ctx;
	c->rest = learning / 5 > 1 ? learning / 5 : 1;
	c->range_need = learning < AN_CONTEXT_RANGE_MAX ? learning : AN_CONTEXT_RANGE_MAX;
	if (c->range_need < 1)
		c->range_need = 1;
	c->range_values = an_alloc(ctx, (size_t) c->range_need * sizeof(double));
	c->left_bits = an_alloc(ctx, SENSOR_WORDS * sizeof(uint64_t) + AN_CONTEXT_MAX / 8);
	return c;
}

/* Take one finite value; its score. */
double
an_context_update(an_context *c, double value)
{
	if (c->ranged)
		return scored_step(c, value);
	c->range_values[c->n_range++] = value;
	return c->n_range < c->range_need ? 0 : set_range(c);
}

/* Write one side's semi-contexts. */
static void
write_side(const semi_side *sd, an_writer *w)
{
	an_write_u32(w, (uint32_t) sd->n);
	for (int32_t id = 0; id < sd->n; id++)
	{
		an_write_u8(w, sd->len[id]);
		for (int i = 0; i < sd->len[id]; i++)
			an_write_u32(w, semi_facts(sd, id)[i]);
	}
}

/* Append the detector's state to w. */
void
an_context_write(const an_context *c, an_writer *w)
{
	an_write_u8(w, (uint8_t) c->ranged);
	an_write_u32(w, (uint32_t) c->n_range);
	for (int i = 0; i < c->n_range; i++)
		an_write_f64(w, c->range_values[i]);
	an_write_f64(w, c->lo);
	an_write_f64(w, c->step);
	an_write_u64(w, c->steps);
	an_write_u64(w, c->high_at);
	an_write_u32(w, (uint32_t) c->n_contexts);
	an_write_u8(w, (uint8_t) c->n_left);
	for (int i = 0; i < c->n_left; i++)
		an_write_u32(w, c->left[i]);
	write_side(&c->sides[LEFT], w);
	write_side(&c->sides[RIGHT], w);
	for (int32_t id = 0; id < c->n_contexts; id++)
	{
		an_write_u32(w, (uint32_t) c->contexts[id].left);
		an_write_u32(w, (uint32_t) c->contexts[id].right);
		an_write_u32(w, c->contexts[id].count);
		an_write_u8(w, c->contexts[id].zero);
	}
}

/* Fail reading: the bytes are not a context detector's state. */
#define CORRUPT(...) (an_fail(ctx, AN_ERR_CORRUPT, \
	"The series model bytes are damaged; train the model again.", __VA_ARGS__), NULL)

/* Whether fact f is one quantize can make. */
static int
valid_sensor_fact(uint32_t f)
{
	return f < 2 * LEVEL_BITS || f == ABOVE_FACT || f == BELOW_FACT ||
		(f >= ABOVE_BASE && f < ABOVE_BASE + 2 * (MAX_SENSOR - 1)) ||
		(f >= BELOW_BASE && f < BELOW_BASE + 2 * (MAX_SENSOR - 1));
}

/* Whether f[0..n) is a fact set a side can hold: strictly ascending, sensor
 * facts quantize makes, neuron facts of existing contexts. */
static int
valid_facts(const uint32_t *f, int n, int max, uint32_t n_contexts)
{
	if (n < 1 || n > max)
		return 0;
	for (int i = 0; i < n; i++)
	{
		if (i > 0 && f[i] <= f[i - 1])
			return 0;
		if (f[i] >= NEURON_FACT ? f[i] - NEURON_FACT >= n_contexts : !valid_sensor_fact(f[i]))
			return 0;
	}
	return 1;
}

/* Read one side's semi-contexts; 0 when they are not valid. */
static int
read_side(an_ctx *ctx, an_reader *r, semi_side *sd, int max, uint32_t n_contexts)
{
	uint32_t	n = an_read_u32(r);

	if (r->failed || n > n_contexts)
		return 0;
	for (uint32_t id = 0; id < n; id++)
	{
		uint32_t	f[MAX_LEFT];
		int			len = an_read_u8(r);

		if (r->failed || len > max)
			return 0;
		for (int i = 0; i < len; i++)
			f[i] = an_read_u32(r);
		if (r->failed || !valid_facts(f, len, max, n_contexts) || semi_find(sd, f, len) >= 0)
			return 0;
		semi_add(ctx, sd, f, len);
	}
	return 1;
}

/* Read the contexts; 0 when they are not valid. */
static int
read_contexts(an_reader *r, an_context *c, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
	{
		uint32_t	left = an_read_u32(r),
					right = an_read_u32(r),
					count = an_read_u32(r);
		uint8_t		zero = an_read_u8(r);
		int32_t		id;

		if (r->failed || left >= (uint32_t) c->sides[LEFT].n ||
			right >= (uint32_t) c->sides[RIGHT].n || zero > 1 ||
			context_find(c, (int32_t) left, (int32_t) right) >= 0)
			return 0;
		id = context_add(c, (int32_t) left, (int32_t) right, zero);
		c->contexts[id].count = count;
	}
	return 1;
}

/* Read a state written by an_context_write from untrusted bytes. */
an_context *
an_context_read(an_ctx *ctx, an_reader *r, int learning)
{
	an_context *c = an_context_create(ctx, learning);
	uint32_t	n_contexts;

	c->ranged = an_read_u8(r);
	c->n_range = (int) an_read_u32(r);
	if (r->failed || c->ranged > 1 || c->n_range < 0 ||
		c->n_range >= c->range_need || (c->ranged && c->n_range != 0))
		return CORRUPT("series model's context detector has a bad range state");
	for (int i = 0; i < c->n_range; i++)
		if (!isfinite(c->range_values[i] = an_read_f64(r)))
			return CORRUPT("series model's context detector has a value that is not finite");
	c->lo = an_read_f64(r);
	c->step = an_read_f64(r);
	c->steps = an_read_u64(r);
	c->high_at = an_read_u64(r);
	n_contexts = an_read_u32(r);
	c->n_left = an_read_u8(r);
	if (r->failed || !isfinite(c->lo) || !isfinite(c->step) ||
		(c->ranged ? !(c->step > 0) : (c->lo != 0 || c->step != 0)) ||
		c->high_at > c->steps || n_contexts > AN_CONTEXT_MAX ||
		(!c->ranged && (c->steps != 0 || n_contexts != 0 || c->n_left != 0)) ||
		c->n_left > MAX_LEFT)
		return CORRUPT("series model's context detector has impossible counts");
	for (int i = 0; i < c->n_left; i++)
		c->left[i] = an_read_u32(r);
	if (r->failed || (c->n_left > 0 && !valid_facts(c->left, c->n_left, MAX_LEFT, n_contexts)))
		return CORRUPT("series model's context detector has bad left facts");
	if (!read_side(ctx, r, &c->sides[LEFT], MAX_LEFT, n_contexts) ||
		!read_side(ctx, r, &c->sides[RIGHT], MAX_SENSOR, n_contexts) ||
		!read_contexts(r, c, n_contexts))
		return CORRUPT("series model's context detector has bad contexts");
	for (int32_t l = 0; l < c->sides[LEFT].n; l++)
		index_left(c, l);
	return c;
}

/* A deep copy of c allocated through ctx: written and read back, so it
 * continues bit for bit as c would and shares no memory with it. */
an_context *
an_context_copy(const an_context *c, an_ctx *ctx, int learning)
{
	an_writer	w;
	an_reader	r;

	an_writer_init(&w, ctx, 4096);
	an_context_write(c, &w);
	an_reader_init(&r, w.data, w.len);
	return an_context_read(ctx, &r, learning);
}
