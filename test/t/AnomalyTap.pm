# AnomalyTap - what the TAP tests of test/t share: a node with the extension,
# seeded tables, exact score lists, and statements left running in
# background psql sessions.

package AnomalyTap;

use strict;
use warnings;

use Exporter 'import';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

our @EXPORT = qw(anomaly_node sample_table numeric_table scores_sql exact_scores
  model_rows open_session start_statement finish_statement wait_for_stderr
  wait_until_running score_while_training scored_by_one_version series_fixture);

my $statements = 0;

# A started node, initialised with %params and extra postgresql.conf lines
# in $params{conf}, with the extension created in its postgres database.
sub anomaly_node
{
	my ($name, %params) = @_;
	my $conf = delete $params{conf};
	my $node = PostgreSQL::Test::Cluster->new($name);

	$node->init(%params);
	$node->append_conf('postgresql.conf', $conf) if defined $conf;
	$node->start;
	$node->safe_psql('postgres', 'CREATE EXTENSION anomaly');
	return $node;
}

# Create table $table in $db: $rows rows of the built-in e-commerce sample,
# keyed by transaction_id.
sub sample_table
{
	my ($node, $db, $table, $rows) = @_;

	$node->safe_psql($db,
		    "CREATE TABLE $table AS SELECT * FROM "
		  . "anomaly_sample('ecommerce', $rows, 0.05, seed => 7); "
		  . "ALTER TABLE $table ADD PRIMARY KEY (transaction_id)");
	return;
}

# Create table $table in $db: $rows rows of $cols seeded uniform float8
# columns c1, c2, ... keyed by id.
sub numeric_table
{
	my ($node, $db, $table, $rows, $cols) = @_;
	my $columns = join ', ', map { "random() AS c$_" } 1 .. $cols;

	$node->safe_psql($db,
		    "SELECT setseed(0.25); "
		  . "CREATE TABLE $table AS SELECT g AS id, $columns FROM generate_series(1, $rows) g; "
		  . "ALTER TABLE $table ADD PRIMARY KEY (id)");
	return;
}

# The query of every row's score of $model (an SQL expression: a quoted
# name or an id) over $table in $key order, each as the hex of its eight
# bytes, so that equal lists mean bit-identical scores.
sub scores_sql
{
	my ($model, $table, $key) = @_;

	return "SELECT string_agg(encode(float8send(anomaly_score($model, t)), 'hex'), ' ' "
	  . "ORDER BY t.$key) FROM $table t";
}

# The exact score list of scores_sql, run on $node in $db.
sub exact_scores
{
	my ($node, $db, $model, $table, $key) = @_;

	return $node->safe_psql($db, scores_sql($model, $table, $key));
}

# Every column of every model (the bytes as their md5), one line per model
# in id order: equal texts mean equal catalogs.
sub model_rows
{
	my ($node, $db) = @_;

	return $node->safe_psql($db,
		"SELECT to_jsonb(m) - 'model', md5(m.model) FROM anomaly_models m ORDER BY id");
}

# A background psql session on $db that goes on after an error.
sub open_session
{
	my ($node, $db) = @_;

	return $node->background_psql($db, on_error_stop => 0);
}

# Send $sql to a background session and return once psql has started it,
# without waiting for its result; returns the number finish_statement takes.
sub start_statement
{
	my ($session, $sql) = @_;
	my $n = ++$statements;
	my $seen = $session->query_until(qr/started $n\n/,
		"\\echo started $n\n$sql\n\\echo finished $n\n");

	# keep whatever the statement already printed for finish_statement
	$seen =~ s/^.*?started $n\n//s;
	$session->{stdout} = $seen . $session->{stdout};
	return $n;
}

# Wait for statement $n of a background session to end; returns its output
# and what it printed on stderr.
sub finish_statement
{
	my ($session, $n) = @_;

	pump_until($session->{run}, $session->{timeout}, \$session->{stdout},
		qr/finished $n\n/)
	  or die "statement $n did not finish";
	$session->{stdout} =~ s/^(.*?)finished $n\n//s;
	my $out = $1;
	my $err = $session->{stderr};
	$session->{stderr} = '';
	chomp $out;
	return ($out, $err);
}

# Wait until a background session prints something matching $pattern on
# stderr; returns that stderr and clears it.
sub wait_for_stderr
{
	my ($session, $pattern) = @_;

	pump_until($session->{run}, $session->{timeout}, \$session->{stderr},
		$pattern)
	  or die "no $pattern on stderr";
	my $err = $session->{stderr};
	$session->{stderr} = '';
	return $err;
}

# Wait until backend $pid has been running a statement, not waiting on
# anything, for $seconds.
sub wait_until_running
{
	my ($node, $pid, $seconds) = @_;

	$node->poll_query_until('postgres',
		    "SELECT state = 'active' AND wait_event IS NULL "
		  . "AND clock_timestamp() - query_start > interval '$seconds s' "
		  . "FROM pg_stat_activity WHERE pid = $pid")
	  or die "backend $pid did not run for $seconds s";
	return;
}

# Score the first $rows rows of table tx (in transaction_id order) by name
# with model 'm', in one statement, while $train (SQL returning the new id)
# commits a new version of 'm' half-way: the row there waits for an advisory
# lock held while $train runs, and every row opens a table of its own, so
# the backend takes in the new version's invalidation mid-statement.  The
# rows are left in table probe (n, then tx's columns).  Returns the
# statement's "n=hex ..." scores, its stderr, its state when the new
# version had committed, and the new version's id.
sub score_while_training
{
	my ($node, $rows, $train) = @_;

	$node->safe_psql('postgres', qq{
		SELECT format('CREATE TABLE tick_%s ()', g) FROM generate_series(0, $rows - 1) g \\gexec
		CREATE FUNCTION pass_row(n int) RETURNS bool LANGUAGE plpgsql VOLATILE AS \$\$
		BEGIN
			IF n = $rows / 2 THEN
				PERFORM pg_advisory_lock(7);
			END IF;
			EXECUTE format('SELECT FROM tick_%s', n);
			RETURN true;
		END \$\$;
		CREATE TABLE probe AS SELECT row_number() OVER (ORDER BY transaction_id)::int - 1 AS n, t.*
			FROM tx t ORDER BY transaction_id LIMIT $rows;
	});
	my $gate = open_session($node, 'postgres');
	$gate->query_safe('SELECT pg_advisory_lock(7)');

	# each row's score as hex, in scan order, the row's table opened first
	my $scoring = "SELECT string_agg(p.n || '=' || encode(float8send(anomaly_score('m', p)), 'hex'), ' ') "
	  . "FROM (SELECT pass_row(n) AS passed, * FROM probe ORDER BY n) p WHERE p.passed;";
	my $scorer = open_session($node, 'postgres');
	my $scorer_pid = $scorer->query_safe('SELECT pg_backend_pid()');
	my $statement = start_statement($scorer, $scoring);
	$node->poll_query_until('postgres',
		"SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = $scorer_pid")
	  or die 'the scoring statement did not reach the gate';

	my $v2 = $node->safe_psql('postgres', $train);
	my $state = $node->safe_psql('postgres',
		"SELECT state FROM pg_stat_activity WHERE pid = $scorer_pid AND query LIKE '%pass_row%'");
	$gate->query_safe('SELECT pg_advisory_unlock(7)');
	$gate->quit;
	my ($scored, $err) = finish_statement($scorer, $statement);
	$scorer->quit;
	return ($scored, $err, $state, $v2);
}

# Test that the statement of score_while_training ran while the new version
# committed, succeeded, and scored all $rows rows with one of the versions
# of %$ids (version => id), which score every probe row differently: each
# row of $scored ("n=hex ...") is matched against the scores by id.
sub scored_by_one_version
{
	my ($node, $rows, $ids, $scored, $err, $state) = @_;
	my (%by_version, %rows_of);

	is($state, 'active', 'the new version was committed while the statement was scoring');
	is($err, '', 'the scoring statement succeeded');
	for my $v (keys %$ids)
	{
		for (split / /,
			$node->safe_psql('postgres',
				"SELECT string_agg(n || '=' || encode(float8send(anomaly_score($ids->{$v}::bigint, p)), 'hex'), ' ') FROM probe p"))
		{
			my ($n, $hex) = split /=/;
			$by_version{$v}{$n} = $hex;
		}
	}
	my @versions = sort keys %$ids;
	my $differing = grep {
		my $n = $_;
		my %seen = map { $by_version{$_}{$n} => 1 } @versions;
		keys %seen == @versions
	} keys %{ $by_version{ $versions[0] } };
	is($differing, $rows, 'the versions give every probe row a different score');
	my @scored = split / /, $scored;
	is(scalar @scored, $rows, "the statement scored all $rows rows");
	for (@scored)
	{
		my ($n, $hex) = split /=/;
		my @match = grep { $by_version{$_}{$n} eq $hex } @versions;
		push @{ $rows_of{ @match ? $match[0] : 'neither' } }, $n;
	}
	is_deeply([ sort keys %rows_of ], [ (sort keys %rows_of)[0] ],
		'every row of the statement was scored by the same version')
	  or diag explain \%rows_of;
	ok(!exists $rows_of{neither}, 'that version is one of them');
	note 'the statement scored with version ' . join(', ', keys %rows_of);
	return;
}


# A series model $model on $db trained on 300 hourly points of one series
# 's' (learning 100), its trained state kept in the table trained, an empty
# table $points (ts, value) for the points a test expects the stored state to
# take, and by_hand(): the trained state stepped through those points in time
# order with anomaly_ts_step, what the stored state must then equal.
sub series_fixture
{
	my ($node, $db, $model, $points) = @_;

	$node->safe_psql($db, qq{
	CREATE TABLE metrics AS
	  SELECT 's'::text AS host, timestamptz '2026-01-01 00:00+00' + i * interval '1 hour' AS ts,
	         100 + 20 * sin(2 * pi() * i / 24) + 2 * sin(i * 1.7) * cos(i * 0.31) AS value
	    FROM generate_series(0, 299) i;
	SELECT anomaly_ts_train('$model', 'metrics', 'ts', 'value', ARRAY['host'], '{"learning": 100}');
	CREATE TABLE trained AS SELECT state FROM anomaly_ts_state;
	CREATE TABLE $points (ts timestamptz PRIMARY KEY, value float8);
	CREATE FUNCTION by_hand() RETURNS bytea LANGUAGE plpgsql AS \$\$
	DECLARE
	    s bytea := (SELECT state FROM trained);
	    a record;
	BEGIN
	    FOR a IN SELECT * FROM $points ORDER BY ts LOOP
	        s := (anomaly_ts_step(s, a.value)).state;
	    END LOOP;
	    RETURN s;
	END \$\$;
	});
	return;
}

1;
