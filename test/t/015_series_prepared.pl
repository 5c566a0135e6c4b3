# Series states fed in a transaction that is then prepared (two-phase
# commit): anomaly_ts_update writes the states back at PREPARE, the prepared
# transaction keeps the series' row locked until COMMIT or ROLLBACK
# PREPARED, COMMIT PREPARED stores exactly the steps it took, ROLLBACK
# PREPARED none of them (and the backend that prepared it forgets them),
# and a prepared transaction survives a restart.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use AnomalyTap;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = anomaly_node('prepared', conf => 'max_prepared_transactions = 5');
# kept: the points each check expects the stored state to have taken in;
# by_hand() steps the trained state through them
series_fixture($node, 'postgres', 'prep', 'kept');
$node->safe_psql('postgres', q{
	CREATE FUNCTION points(first_minute int, n int) RETURNS TABLE (t timestamptz, v float8)
	LANGUAGE sql AS $$
	  SELECT timestamptz '2026-01-14 00:00+00' + k * interval '1 minute', 100 + sin(k)
	    FROM generate_series(first_minute, first_minute + n - 1) k
	$$;
	CREATE FUNCTION feed(first_minute int, n int) RETURNS bigint LANGUAGE sql AS $$
	  SELECT count(r) FROM (SELECT anomaly_ts_update('prep', 's', t, v) AS r
	                          FROM points(first_minute, n) ORDER BY t) p
	$$;
});
my $check_sql = 'SELECT s.state = by_hand(), s.points FROM anomaly_ts_state s';

# prepared: the state is written, but not visible until COMMIT PREPARED, and
# the row stays locked
$node->safe_psql('postgres', q{
	BEGIN;
	SELECT feed(0, 5);
	PREPARE TRANSACTION 'a';
});
is($node->safe_psql('postgres', $check_sql), 't|300',
	'after PREPARE TRANSACTION the stored state is still the trained one');
my ($rc, $stdout, $stderr) = $node->psql('postgres', q{
	SET lock_timeout = '300ms';
	SELECT feed(5, 1);
});
like($stderr, qr/lock timeout/, "another writer waits for the prepared transaction's row lock");
$node->safe_psql('postgres', q{
	COMMIT PREPARED 'a';
	INSERT INTO kept SELECT * FROM points(0, 5);
});
is($node->safe_psql('postgres', $check_sql), 't|305',
	'COMMIT PREPARED stores the trained state stepped through its 5 points');

# rolled back: nothing stored, and the backend that prepared it continues
# from the stored state, not from what it had in memory
my $session = open_session($node, 'postgres');
$session->query_safe('BEGIN');
is($session->query_safe('SELECT feed(5, 3)'), '3', 'a second transaction scores 3 points');
$session->query_safe("PREPARE TRANSACTION 'b'");
$node->safe_psql('postgres', "ROLLBACK PREPARED 'b'");
is($node->safe_psql('postgres', $check_sql), 't|305', 'ROLLBACK PREPARED stores none of them');
is($session->query_safe('SELECT feed(8, 2)'), '2',
	'the backend that prepared it scores 2 later points');
$node->safe_psql('postgres', 'INSERT INTO kept SELECT * FROM points(8, 2)');
is($node->safe_psql('postgres', $check_sql), 't|307',
	'from the committed state: the rolled-back points are not in it');
$session->quit;

# a prepared transaction survives a restart and commits afterwards
$node->safe_psql('postgres', q{
	BEGIN;
	SELECT feed(10, 4);
	PREPARE TRANSACTION 'c';
});
$node->restart;
is($node->safe_psql('postgres', 'SELECT count(*) FROM pg_prepared_xacts'), '1',
	'the prepared transaction is still there after a restart');
$node->safe_psql('postgres', q{
	COMMIT PREPARED 'c';
	INSERT INTO kept SELECT * FROM points(10, 4);
});
is($node->safe_psql('postgres', $check_sql), 't|311', 'and COMMIT PREPARED then stores its 4 points');

$node->stop;
done_testing();
