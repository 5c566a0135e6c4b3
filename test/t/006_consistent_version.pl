# A statement scoring by name while another session commits a new version
# of the model scores every row with one version: each row is read back
# against the scores by id of both versions, and must match the same one.
# The statement waits half-way for the commit, and every row after it opens
# a table it has not opened yet, so the backend takes in the new version's
# cache invalidation mid-statement.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use AnomalyTap;
use PostgreSQL::Test::Utils;
use Test::More;

my $rows = 60;
my $features = "ARRAY['amount', 'customer_id', 'hour_of_day', 'payment_method']";
my $node = anomaly_node('consistent');
sample_table($node, 'postgres', 'tx', 1000);
my $v1 = $node->safe_psql('postgres',
	"SELECT anomaly_train('m', 'tx', columns => $features, algorithm => 'iforest')");

my ($scored, $err, $state, $v2) = score_while_training($node, $rows,
	"SELECT anomaly_train('m', 'tx', columns => $features, algorithm => 'hbos')");
scored_by_one_version($node, $rows, { 1 => $v1, 2 => $v2 }, $scored, $err, $state);

done_testing();
