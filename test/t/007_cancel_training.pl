# pg_cancel_backend and statement_timeout stop a long training within a
# second, for Isolation Forest (10,000 trees, long in calibration) and for
# LOF and One-Class SVM (long in their neighbour search and solver), and
# leave no model behind.  LOF's k is 200 so that its neighbour search runs
# for well over the two seconds the cancel waits for (with k = 20 the faster
# search trains on these 200,000 rows in less).

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use AnomalyTap;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);

my $limit = 1.0;
my $timeout_ms = 1500;
my %trainings = (
	iforest => q{algorithm => 'iforest', options => '{"n_trees": 10000}'},
	lof => q{algorithm => 'lof', options => '{"k": 200}'},
	ocsvm => q{algorithm => 'ocsvm', options => '{"max_train": 20000}'},);

my $node = anomaly_node('cancel');
numeric_table($node, 'postgres', 'big', 200000, 6);
my $canceller = open_session($node, 'postgres');

for my $algorithm (sort keys %trainings)
{
	my $train = "SELECT anomaly_train('$algorithm', 'big', $trainings{$algorithm});";

	# pg_cancel_backend, two seconds into the training
	my $session = open_session($node, 'postgres');
	my $pid = $session->query_safe('SELECT pg_backend_pid()');
	my $statement = start_statement($session, $train);
	wait_until_running($node, $pid, 2);
	my $sent = time;
	$canceller->query_safe("SELECT pg_cancel_backend($pid)");
	my $err = wait_for_stderr($session, qr/ERROR: .*\n/);
	my $took = time - $sent;
	$err .= (finish_statement($session, $statement))[1];
	like($err, qr/canceling statement due to user request/, "$algorithm: pg_cancel_backend cancels the training");
	cmp_ok($took, '<', $limit, "$algorithm: the cancel took effect within $limit s");
	note sprintf('%s: cancelled %.3f s after pg_cancel_backend', $algorithm, $took);

	# statement_timeout
	$session->query_safe("SET statement_timeout = $timeout_ms");
	$sent = time;
	$statement = start_statement($session, $train);
	$err = wait_for_stderr($session, qr/ERROR: .*\n/);
	$took = time - $sent;
	$err .= (finish_statement($session, $statement))[1];
	like($err, qr/canceling statement due to statement timeout/,
		"$algorithm: statement_timeout cancels the training");
	cmp_ok($took - $timeout_ms / 1000, '<', $limit,
		"$algorithm: within $limit s of the timeout");
	note sprintf('%s: timed out %.3f s after the statement was sent (timeout %.1f s)',
		$algorithm, $took, $timeout_ms / 1000);
	$session->quit;
}
$canceller->quit;

is($node->safe_psql('postgres', 'SELECT count(*) FROM anomaly_models'),
	'0', 'no cancelled training left a model');

done_testing();
