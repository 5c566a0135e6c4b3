# kill -9 of a backend in the middle of a long training: the server
# recovers, leaves no partial model, keeps the models it had, and trains
# again afterwards.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use AnomalyTap;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = anomaly_node('crash', conf => 'restart_after_crash = on');
numeric_table($node, 'postgres', 'big', 200000, 6);
$node->safe_psql('postgres',
	"SELECT anomaly_train('kept', 'big', algorithm => 'hbos')");
my $kept_rows = model_rows($node, 'postgres');
my $kept_scores = exact_scores($node, 'postgres', "'kept'", 'big', 'id');

# lof over a 100,000-row sample of six columns: several seconds of training
my $train = "SELECT anomaly_train('victim', 'big', algorithm => 'lof');";
my $session = open_session($node, 'postgres');
my $pid = $session->query_safe('SELECT pg_backend_pid()');
my $log_offset = -s $node->logfile;
start_statement($session, $train);
wait_until_running($node, $pid, 1);
is( $node->safe_psql('postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE pid = $pid AND query LIKE '%anomaly_train%'"),
	'1', 'the backend is still training when it is killed');
ok(kill('KILL', $pid), "kill -9 of backend $pid");

like(
	wait_for_stderr($session, qr/server closed the connection unexpectedly/),
	qr/server closed the connection unexpectedly/,
	'the training session lost its connection instead of getting a result');
eval { $session->quit };
$node->wait_for_log(qr/database system is ready to accept connections/, $log_offset);
ok($node->log_contains("was terminated by signal 9", $log_offset),
	'the postmaster saw the backend die of signal 9');
ok($node->log_contains('all server processes terminated; reinitializing', $log_offset),
	'and reinitialized the server');
$node->poll_query_until('postgres', 'SELECT true')
  or die 'the server did not come back';

is($node->safe_psql('postgres', "SELECT count(*) FROM anomaly_models WHERE name = 'victim'"),
	'0', 'no partial model is left for the killed training');
is(model_rows($node, 'postgres'), $kept_rows, 'the catalog is as it was before the crash');
is(exact_scores($node, 'postgres', "'kept'", 'big', 'id'),
	$kept_scores, 'the model trained before the crash scores identically');

# training works again, and takes the first version of the name
my $id = $node->safe_psql('postgres',
	"SELECT anomaly_train('victim', 'big', algorithm => 'lof', options => '{\"sample_rows\": 5000}')");
is( $node->safe_psql('postgres',
		"SELECT version, train_rows FROM anomaly_models WHERE id = $id"),
	'1|200000', 'a new training after recovery stores version 1');
ok( $node->safe_psql('postgres',
		"SELECT count(*) FROM big t WHERE anomaly_score('victim', t) > 0") > 0,
	'and it scores');

done_testing();
