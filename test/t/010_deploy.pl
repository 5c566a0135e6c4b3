# Eight sessions training and deploying one model name at the same moment:
# four train (deploy always, never or if_better, each with an algorithm of
# its own so the versions say how they were trained), four deploy versions
# and roll back, each step its own transaction.  Every statement succeeds
# (no deadlock), the versions are consecutive, and the history is one
# unbroken chain (each change starts where the one before ended) that ends
# at the deployed version: the changes were serialized.  A backend that
# scored by name before a deploy in another session scores with the newly
# deployed version after it.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use AnomalyTap;
use PostgreSQL::Test::Utils;
use Test::More;

my $sessions = 8;
my $features = "ARRAY['amount', 'hour_of_day', 'payment_method']";
my $node = anomaly_node('deploy');
sample_table($node, 'postgres', 'tx', 1000);
$node->safe_psql('postgres', qq(
	SELECT anomaly_train('shared', 'tx', columns => $features, algorithm => 'iforest');
	SELECT anomaly_train('shared', 'tx', columns => $features, algorithm => 'iforest',
	                     options => '{"seed": 2}', deploy => 'never');
));

# a deploy in another session reaches a backend that has the name cached
my $scorer = open_session($node, 'postgres');
my $by_name = scores_sql("'shared'", 'tx', 'transaction_id');
my $before = $scorer->query_safe($by_name);
is($before, exact_scores($node, 'postgres', '1::bigint', 'tx', 'transaction_id'),
	'the name scores with version 1');
$node->safe_psql('postgres', "SELECT anomaly_deploy('shared', 2)");
is($scorer->query_safe($by_name), exact_scores($node, 'postgres', '2::bigint', 'tx', 'transaction_id'),
	'after a deploy in another session, the same backend scores with version 2');
$node->safe_psql('postgres', "SELECT anomaly_rollback('shared')");
is($scorer->query_safe($by_name), $before, 'and after a rollback with version 1 again');
$scorer->quit;

# the workers wait on an advisory lock the gate holds, then start together
my $gate = open_session($node, 'postgres');
$gate->query_safe('SELECT pg_advisory_lock(42)');
my %mode = (zscore => "'always'", hbos => "'never'", ecod => "'if_better', label => 'is_anomaly'");
my @algorithms = sort keys %mode;
my (@workers, @statements);
for my $i (1 .. $sessions)
{
	my $sql = "SET client_min_messages = warning;\nSELECT pg_advisory_lock_shared(42);\n";
	if ($i <= $sessions / 2)
	{
		for my $round (0 .. 2)
		{
			my $algorithm = $algorithms[ ($i + $round) % 3 ];
			$sql .= "SELECT anomaly_train('shared', 'tx', columns => $features, "
			  . "algorithm => '$algorithm', deploy => $mode{$algorithm}) > 0;\n";
		}
	}
	else
	{
		for my $round (0 .. 5)
		{
			my $version = 1 + ($i + $round) % 2;
			$sql .= "SELECT version > 0 FROM anomaly_deploy('shared', $version);\n"
			  . "DO \$\$ BEGIN PERFORM anomaly_rollback('shared'); "
			  . "EXCEPTION WHEN object_not_in_prerequisite_state THEN NULL; END \$\$;\n";
		}
	}
	my $worker = open_session($node, 'postgres');
	push @workers, $worker;
	push @statements, start_statement($worker, $sql);
}
$node->poll_query_until('postgres',
	"SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
	  . "AND query LIKE '%pg_advisory_lock_shared(42)%'", $sessions)
  or die 'the workers did not all wait on the gate';
$gate->query_safe('SELECT pg_advisory_unlock(42)');

my @errors;
for my $i (0 .. $sessions - 1)
{
	my ($out, $err) = finish_statement($workers[$i], $statements[$i]);
	push @errors, $err if $err ne '';
	$workers[$i]->quit;
}
$gate->quit;

is_deeply(\@errors, [], 'no session got an error (no deadlock)');
my $trained = 2 + 3 * $sessions / 2;
is( $node->safe_psql('postgres',
		"SELECT string_agg(version::text, ',' ORDER BY version) FROM anomaly_models WHERE name = 'shared'"),
	join(',', 1 .. $trained),
	"the versions are 1 to $trained");
is( $node->safe_psql('postgres', qq(
		SELECT count(*) FILTER (WHERE from_id IS DISTINCT FROM before)
		  FROM (SELECT from_id, lag(to_id) OVER (ORDER BY id) AS before
		          FROM anomaly_deployment_history WHERE name = 'shared') h)),
	'0', 'the history is one chain: each change starts where the one before ended');
is( $node->safe_psql('postgres', qq(
		SELECT d.model_id = (SELECT h.to_id FROM anomaly_deployment_history h
		                      WHERE h.name = 'shared' ORDER BY id DESC LIMIT 1)
		  FROM anomaly_deployments d WHERE d.name = 'shared')),
	't', 'and it ends at the deployed version');
my $trains = qq(
	SELECT m.algorithm, count(*) AS versions,
	       count(h.id) AS deployed_by_training,
	       count(*) FILTER (WHERE m.metrics->'deployment'->>'decision' = 'deployed') AS judged_better,
	       count(*) FILTER (WHERE h.id IS NOT NULL
	                          AND m.metrics->'deployment' IS NOT NULL
	                          AND (m.metrics->'deployment'->>'deployed_version')::int
	                              IS DISTINCT FROM h.from_version) AS judged_against_another
	  FROM anomaly_models m
	  LEFT JOIN anomaly_deployment_history h ON h.to_id = m.id AND h.action = 'train'
	 WHERE m.name = 'shared' AND m.algorithm <> 'iforest'
	 GROUP BY 1 ORDER BY 1);
my %rows = map { my @f = split /\|/; $f[0] => [ @f[ 1 .. 4 ] ] }
  split /\n/, $node->safe_psql('postgres', $trains);
is_deeply($rows{zscore}, [ 4, 4, 0, 0 ], "deploy => 'always' deployed each of its 4 versions");
is_deeply($rows{hbos}, [ 4, 0, 0, 0 ], "deploy => 'never' deployed none of its 4");
is($rows{ecod}[1], $rows{ecod}[2],
	"deploy => 'if_better' deployed exactly the versions it judged better ($rows{ecod}[1] of 4)");
is($rows{ecod}[3], 0, 'each against the version deployed when it was stored');

done_testing();
