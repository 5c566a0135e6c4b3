# pg_dump and pg_restore keep deployments and their history: a name whose
# deployed version is not its latest still scores with it after the
# restore, a name with no deployed version still has none, the history is
# the same, and a deploy after the restore records its change with a fresh
# history id.  Deployments keep their owners' row-level security.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use AnomalyTap;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = anomaly_node('deploy_dump');
my $features = "ARRAY['amount', 'hour_of_day', 'payment_method']";
$node->safe_psql('postgres', 'CREATE DATABASE source');
$node->safe_psql('source', 'CREATE EXTENSION anomaly');
sample_table($node, 'source', 'tx', 1000);
$node->safe_psql('source', qq(
	CREATE ROLE alice LOGIN;
	CREATE ROLE bob LOGIN;
	GRANT SELECT ON tx TO alice, bob;
	SET ROLE alice;
	SELECT anomaly_train('fraud', 'tx', columns => $features, algorithm => 'iforest');
	SELECT anomaly_train('fraud', 'tx', columns => $features, algorithm => 'hbos');
	SELECT anomaly_train('fraud', 'tx', columns => $features, algorithm => 'ecod', deploy => 'never');
	SELECT anomaly_rollback('fraud');
	SELECT anomaly_train('shelf', 'tx', columns => $features, algorithm => 'zscore', deploy => 'never');
	RESET ROLE;
));
my $deployments_sql = "SELECT string_agg(to_jsonb(d)::text, ' ' ORDER BY name) FROM anomaly_deployments d";
my $history_sql = "SELECT string_agg(to_jsonb(h)::text, ' ' ORDER BY id) FROM anomaly_deployment_history h";
my $deployments = $node->safe_psql('source', $deployments_sql);
my $history = $node->safe_psql('source', $history_sql);
like($deployments, qr/"version": 1/, 'fraud has version 1 deployed of 3');
my $scores = exact_scores($node, 'source', "'fraud'", 'tx', 'transaction_id');
is($scores, exact_scores($node, 'source', '1::bigint', 'tx', 'transaction_id'),
	'and scores with it');

my $dump = $node->basedir . '/source.dump';
$node->command_ok([ 'pg_dump', '-Fc', '-f', $dump, '-d', 'source' ], 'pg_dump');
$node->safe_psql('postgres', 'CREATE DATABASE restored');
$node->command_ok([ 'pg_restore', '--exit-on-error', '-d', 'restored', $dump ], 'pg_restore');

is($node->safe_psql('restored', $deployments_sql), $deployments, 'the deployments are restored unchanged');
is($node->safe_psql('restored', $history_sql), $history, 'and the history');
is(exact_scores($node, 'restored', "'fraud'", 'tx', 'transaction_id'), $scores,
	'fraud scores with its deployed version 1 after the restore');
my ($rc, $out, $err) = $node->psql('restored', "SELECT anomaly_score('shelf', t) FROM tx t LIMIT 1");
like($err, qr/anomaly model "shelf" has no deployed version/, 'shelf still has no deployed version');
is( $node->safe_psql('restored',
		"SET ROLE bob; SELECT count(*) FROM anomaly_deployments; SELECT count(*) FROM anomaly_deployment_history"),
	"0\n0", 'bob sees none of alice\'s deployments or history');

is( $node->safe_psql('restored', "SET ROLE alice; SELECT version FROM anomaly_deploy('fraud', 3)"),
	'3', 'alice deploys version 3 after the restore');
is( $node->safe_psql('restored',
		"SELECT id, action, from_version, to_version, changed_by FROM anomaly_deployment_history "
		  . "ORDER BY id DESC LIMIT 1"),
	$node->safe_psql('source', 'SELECT max(id) + 1 FROM anomaly_deployment_history') . '|deploy|1|3|alice',
	'the change is recorded with the next history id');
is(exact_scores($node, 'restored', "'fraud'", 'tx', 'transaction_id'),
	exact_scores($node, 'restored', '3::bigint', 'tx', 'transaction_id'),
	'and fraud scores with version 3');

done_testing();
