# A session that takes in a new version's cache invalidation in the middle
# of a transaction whose snapshot predates that version keeps scoring with
# the old version until the transaction ends, as it must, but not after:
# its next transaction scores by name with the new version.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use AnomalyTap;
use PostgreSQL::Test::Utils;
use Test::More;

my $features = "ARRAY['amount', 'hour_of_day', 'payment_method']";
my $node = anomaly_node('refresh');
sample_table($node, 'postgres', 'tx', 500);
$node->safe_psql('postgres', qq{
	CREATE TABLE other ();
	CREATE TABLE probe AS SELECT row_number() OVER (ORDER BY transaction_id)::int - 1 AS n, t.*
		FROM tx t ORDER BY transaction_id LIMIT 2;
	CREATE FUNCTION pass_row(n int) RETURNS bool LANGUAGE plpgsql VOLATILE AS \$\$
	BEGIN
		IF n = 1 THEN
			PERFORM pg_advisory_lock(7);
			PERFORM FROM other;
		END IF;
		RETURN true;
	END \$\$;
});

# train a version of m with $algorithm; returns the probe's scores by id
sub train_version
{
	my ($algorithm) = @_;
	my $id = $node->safe_psql('postgres',
		"SELECT anomaly_train('m', 'tx', columns => $features, algorithm => '$algorithm')");
	return exact_scores($node, 'postgres', "${id}::bigint", 'probe', 'n');
}
my $by_name = scores_sql("'m'", 'probe', 'n');

# a repeatable read transaction that opens a table after version 2 commits
my $v1 = train_version('iforest');
my $session = open_session($node, 'postgres');
$session->query_safe('BEGIN ISOLATION LEVEL REPEATABLE READ');
is($session->query_safe($by_name), $v1, 'the transaction scores with version 1');
my $v2 = train_version('hbos');
isnt($v2, $v1, 'version 2 scores differently');
$session->query_safe('LOCK TABLE other IN ACCESS SHARE MODE');
is($session->query_safe($by_name), $v1, 'after version 2 commits the transaction keeps its version 1');
$session->query_safe('COMMIT');
is($session->query_safe($by_name), $v2, 'the next transaction scores with version 2');

# in a new session, one statement: its first row scored, it waits for
# version 3 to commit, then opens a table and scores its second row
$session->quit;
$session = open_session($node, 'postgres');
my $gate = open_session($node, 'postgres');
$gate->query_safe('SELECT pg_advisory_lock(7)');
my $pid = $session->query_safe('SELECT pg_backend_pid()');
my $statement = start_statement($session,
	    "SELECT string_agg(encode(float8send(anomaly_score('m', p)), 'hex'), ' ') "
	  . "FROM (SELECT pass_row(n) AS passed, * FROM probe ORDER BY n) p WHERE p.passed;");
$node->poll_query_until('postgres',
	"SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = $pid")
  or die 'the statement did not reach the gate';
my $v3 = train_version('ecod');
$gate->query_safe('SELECT pg_advisory_unlock(7)');
my ($scored, $err) = finish_statement($session, $statement);
is($err, '', 'the statement succeeded');
is($scored, $v2, 'the statement scored both rows with version 2, the latest when it began');
is($session->query_safe($by_name), $v3, 'the next statement scores with version 3');

$gate->quit;
$session->quit;

done_testing();
