# Models survive a clean restart and an immediate stop (crash recovery from
# WAL), and score bit-identically afterwards.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use AnomalyTap;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = anomaly_node('restart');
my $features = "ARRAY['amount', 'customer_id', 'hour_of_day', 'payment_method', 'merchant_category']";
sample_table($node, 'postgres', 'tx', 1000);

# the catalog and every model's score list, by name and by id
sub snapshot
{
	my $ids = $node->safe_psql('postgres', "SELECT string_agg(id::text, ' ' ORDER BY id) FROM anomaly_models");
	my $names = $node->safe_psql('postgres',
		"SELECT string_agg(DISTINCT quote_literal(name), ' ') FROM anomaly_models");
	my @models = ((split / /, $names), map { "${_}::bigint" } split / /, $ids);

	return join "\n", model_rows($node, 'postgres'),
	  map { "$_: " . exact_scores($node, 'postgres', $_, 'tx', 'transaction_id') } @models;
}

# train one model per algorithm, and a second version of one of them
sub train
{
	my ($name, $algorithm) = @_;
	$node->safe_psql('postgres',
		"SELECT anomaly_train('$name', 'tx', columns => $features, algorithm => '$algorithm')");
	return;
}
train($_, $_) for qw(iforest knn ocsvm copod zscore);
train('iforest', 'ecod');
my $before = snapshot();
like($before, qr/'iforest': [0-9a-f]{16} /, 'the snapshot holds score lists');

$node->stop('fast');
$node->start;
is(snapshot(), $before, 'after a clean restart every model is there and scores identically');

# a model written just before an immediate stop is replayed from WAL
my $log_offset = -s $node->logfile;
train('late', 'lof');
my $with_late = snapshot();
$node->stop('immediate');
$node->start;
ok($node->log_contains('database system was not properly shut down; automatic recovery in progress',
		$log_offset),
	'the immediate stop made the server recover from WAL');
is(snapshot(), $with_late,
	'after an immediate stop every model, the last one included, scores identically');
is($node->safe_psql('postgres', "SELECT version FROM anomaly_model_list WHERE name = 'late'"),
	'1', 'the model trained just before the stop is there once');

done_testing();
