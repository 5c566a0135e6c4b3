# The progress of a long training, seen from another session through the
# view anomaly_progress with the library preloaded: a training held
# half-way through its source shows its model, phase, rows read (in
# batches of 1024), the planner's estimate and the time left; a role
# without the trainer's privileges sees nothing, pg_read_all_stats sees it;
# with anomaly.progress = on the training session gets a NOTICE every 5
# seconds while reading.  Rows read by parallel workers count: with the
# leader taking no part in the scan, the fitting phase reports the table's
# rows.  The view is empty once training ends, or fails.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use AnomalyTap;
use PostgreSQL::Test::Utils;
use Test::More;

my $rows = 60000;
my $node = anomaly_node('progress', conf => "shared_preload_libraries = 'anomaly'");
numeric_table($node, 'postgres', 'big', $rows, 3);
$node->safe_psql('postgres', qq(
	ANALYZE big;
	CREATE FUNCTION pass_gate(n int) RETURNS bool LANGUAGE plpgsql VOLATILE AS \$\$
	BEGIN
		IF n = 20000 THEN
			PERFORM pg_advisory_lock(7);
			PERFORM pg_advisory_unlock(7);
		END IF;
		RETURN true;
	END \$\$;
	CREATE ROLE stranger LOGIN;
	CREATE ROLE watcher LOGIN IN ROLE pg_read_all_stats;
));

my $gate = open_session($node, 'postgres');
$gate->query_safe('SELECT pg_advisory_lock(7)');
my $trainer = open_session($node, 'postgres');
my $trainer_pid = $trainer->query_safe('SELECT pg_backend_pid()');
$trainer->query_safe('SET anomaly.progress = on');
my $statement = start_statement($trainer,
	"SELECT anomaly_train('slow', 'SELECT id, c1, c2, c3 FROM big WHERE pass_gate(id)', "
	  . "columns => ARRAY['c1', 'c2', 'c3'], algorithm => 'zscore') > 0;");
$node->poll_query_until('postgres',
	"SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = $trainer_pid")
  or die 'the training did not reach the gate';

is( $node->safe_psql('postgres', qq{
		SELECT model, phase, rows_read, rows_estimate > 0, percent_read > 0, reading_left IS NOT NULL,
		       started <= phase_started, query LIKE '%anomaly_train(''slow''%'
		  FROM anomaly_progress WHERE pid = $trainer_pid}),
	'slow|reading|19456|t|t|t|t|t',
	'another session sees the training reading, 19 batches of 1024 rows in');
is($node->safe_psql('postgres', 'SET ROLE stranger; SELECT count(*) FROM anomaly_progress'),
	'0', 'a role without the trainer\'s privileges sees nothing');
is($node->safe_psql('postgres', 'SET ROLE watcher; SELECT model FROM anomaly_progress'),
	'slow', 'a member of pg_read_all_stats sees it');

# held past the NOTICE interval, the session reports its reading when it goes on
sleep 6;
$gate->query_safe('SELECT pg_advisory_unlock(7)');
my ($out, $err) = finish_statement($trainer, $statement);
is($out, 't', 'the training ends');
like($err, qr/NOTICE:  anomaly_train "slow": reading, 2\d{4} of about \d+ rows/,
	'the training session got a NOTICE of its reading after 5 seconds');
like($err, qr/NOTICE:  anomaly_train "slow": done, $rows rows read/, 'and one at the end');
is($node->safe_psql('postgres', 'SELECT count(*) FROM anomaly_progress'), '0',
	'the view is empty once the training is over');

# a training that fails leaves nothing behind
$trainer->query_until(qr/failed\n/, "SELECT anomaly_train('empty', 'SELECT * FROM big WHERE id < 0', "
	  . "columns => ARRAY['c1'], algorithm => 'zscore');\n\\echo failed\n");
like($trainer->{stderr}, qr/source .* has no rows/, 'a training of an empty source fails');
$trainer->{stderr} = '';
is($node->safe_psql('postgres', 'SELECT count(*) FROM anomaly_progress'), '0',
	'and leaves the view empty');

# parallel workers add their rows to the leader's training
$trainer->query_safe(qq(
	SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;
	SET max_parallel_workers_per_gather = 2; SET parallel_leader_participation = off));
$statement = start_statement($trainer,
	"SELECT anomaly_train('parallel', 'big', columns => ARRAY['c1', 'c2', 'c3'], algorithm => 'zscore') > 0;");
($out, $err) = finish_statement($trainer, $statement);
is($out, 't', 'a parallel training ends');
my ($fitting) = $err =~ /"parallel": fitting, (\d+) rows read/;
ok(defined $fitting && $fitting >= $rows - 3 * 1024,
	'its fitting phase counts the rows the workers read (' . ($fitting // 'none') . " of $rows)");
$trainer->quit;
$gate->quit;

done_testing();
