# Concurrent writers of one series take turns and no step is lost, now that
# anomaly_ts_update keeps a series' state in memory and writes it back at
# commit: a second transaction waits for the first's row lock and then
# continues from the state the first committed; two sessions committing a
# point at a time, interleaved, leave the state that stepping their accepted
# points in order gives.  The committed state survives a restart, and a
# transaction cut off by it leaves no trace.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use AnomalyTap;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = anomaly_node('writers');
# accepted: the points a writer's update scored, committed with the update;
# by_hand() steps the trained state through them
series_fixture($node, 'postgres', 'shared', 'accepted');
$node->safe_psql('postgres', q{
	CREATE FUNCTION feed(first_minute int, n int) RETURNS bigint LANGUAGE sql AS $$
	  WITH p AS (SELECT t, v, anomaly_ts_update('shared', 's', t, v) AS r
	               FROM (SELECT timestamptz '2026-01-14 00:00+00' + k * interval '1 minute' AS t,
	                            100 + sin(k) AS v
	                       FROM generate_series(first_minute, first_minute + n - 1) k) x ORDER BY t)
	  , added AS (INSERT INTO accepted SELECT t, v FROM p WHERE r IS NOT NULL RETURNING 1)
	  SELECT count(*) FROM added
	$$;
	CREATE PROCEDURE feed_each(first_minute int, step int, n int) LANGUAGE plpgsql AS $$
	BEGIN
	    FOR i IN 0 .. n - 1 LOOP
	        PERFORM feed(first_minute + i * step, 1);
	        COMMIT;
	    END LOOP;
	END $$;
});
my $check_sql = "SELECT s.points = 300 + (SELECT count(*) FROM accepted) AS counted, "
  . "s.state = by_hand() AS same_state, s.points FROM anomaly_ts_state s";

# one transaction holds the series: the next waits, then continues from it
my $first = open_session($node, 'postgres');
$first->query_safe('BEGIN');
is($first->query_safe('SELECT feed(0, 10)'), '10', 'the first transaction scores 10 points');
my $second = open_session($node, 'postgres');
my $second_pid = $second->query_safe('SELECT pg_backend_pid()');
my $statement = start_statement($second, 'SELECT feed(10, 10);');
$node->poll_query_until('postgres',
	"SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = $second_pid")
  or die 'the second writer did not wait for the row lock';
pass('the second writer waits for the first to end');
$first->query_safe('COMMIT');
my ($out, $err) = finish_statement($second, $statement);
is($out, '10', 'then scores its 10 points after the first ones');
is($err, '', 'without an error');
is($node->safe_psql('postgres', $check_sql), 't|t|320',
	'the state is the trained one stepped through all 20 points in order');

# two sessions committing one point at a time, interleaved in time
my $even = start_statement($first, 'CALL feed_each(100, 2, 150);');
my $odd = start_statement($second, 'CALL feed_each(101, 2, 150);');
($out, $err) = finish_statement($first, $even);
is($err, '', 'the even writer ends without an error');
($out, $err) = finish_statement($second, $odd);
is($err, '', 'the odd writer ends without an error');
my $check = $node->safe_psql('postgres', $check_sql);
like($check, qr/^t\|t\|\d+$/, "no step lost: every accepted point counted and stepped ($check)");
my ($points) = $check =~ /(\d+)$/;
cmp_ok($points, '>', 320, 'interleaved points were accepted');

# a transaction cut off by a restart leaves no trace; the committed state stays
my $states_sql = 'SELECT points, last_ts, md5(state) FROM anomaly_ts_state';
my $states = $node->safe_psql('postgres', $states_sql);
$first->query_safe('BEGIN');
is($first->query_safe('SELECT feed(1000, 5)'), '5', 'an open transaction scores 5 more points');
$second->quit;
$node->restart;
eval { $first->quit };
is($node->safe_psql('postgres', $states_sql), $states, 'after a restart the committed state is the stored one');
is($node->safe_psql('postgres', 'SELECT feed(1000, 5)'), '5',
	'and the cut-off points are scored anew');
is($node->safe_psql('postgres', $check_sql), 't|t|' . ($points + 5), 'from the committed state');

# states moved in a transaction that then drops the extension: nothing to
# write back, and the commit succeeds
my ($rc, $stdout, $stderr) = $node->psql('postgres', q{
	BEGIN;
	SELECT feed(2000, 3);
	DROP EXTENSION anomaly CASCADE;
	COMMIT;
});
is($rc, 0, 'a transaction that fed a series and dropped the extension commits');
unlike($stderr, qr/ERROR/, 'without an error');
is($node->safe_psql('postgres', "SELECT count(*) FROM pg_extension WHERE extname = 'anomaly'"), '0',
	'and the extension is gone');

$node->stop;
done_testing();
