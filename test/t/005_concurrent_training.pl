# Eight sessions training the same model name at the same moment all
# succeed, with eight distinct ids and the consecutive versions 1 to 8.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;
use AnomalyTap;
use PostgreSQL::Test::Utils;
use Test::More;

my $trainers = 8;
my $node = anomaly_node('concurrent');
sample_table($node, 'postgres', 'tx', 2000);

# a barrier: the source is locked until every trainer waits on it
my $gate = open_session($node, 'postgres');
$gate->query_safe('BEGIN; LOCK TABLE tx IN ACCESS EXCLUSIVE MODE');

my (@sessions, @statements);
for my $i (1 .. $trainers)
{
	my $session = open_session($node, 'postgres');
	push @sessions, $session;
	push @statements, start_statement($session,
		"SELECT anomaly_train('same', 'tx', columns => ARRAY['amount', 'hour_of_day', "
		  . "'payment_method'], algorithm => 'iforest', options => '{\"seed\": $i, \"n_trees\": 300}');");
}
$node->poll_query_until('postgres',
	"SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
	  . "AND query LIKE '%anomaly_train(''same''%'", $trainers)
  or die 'the trainers did not all wait on the lock';
$gate->query_safe('COMMIT');

my (@ids, @errors);
for my $i (0 .. $trainers - 1)
{
	my ($out, $err) = finish_statement($sessions[$i], $statements[$i]);
	push @ids, $out;
	push @errors, $err if $err ne '';
	$sessions[$i]->quit;
}
$gate->quit;

is_deeply(\@errors, [], 'no trainer got an error');
my %distinct = map { $_ => 1 } grep { /^\d+$/ } @ids;
is(scalar keys %distinct, $trainers, "the $trainers trainers returned $trainers distinct ids");
is( $node->safe_psql('postgres',
		"SELECT string_agg(version::text, ',' ORDER BY version) FROM anomaly_models WHERE name = 'same'"),
	join(',', 1 .. $trainers),
	"the versions are 1 to $trainers");
is( $node->safe_psql('postgres',
		"SELECT string_agg(id::text, ',' ORDER BY id) FROM anomaly_models WHERE name = 'same'"),
	join(',', sort { $a <=> $b } @ids),
	'and they are the rows of the returned ids');
is( $node->safe_psql('postgres',
		"SELECT count(DISTINCT params->>'seed') FROM anomaly_models WHERE name = 'same'"),
	$trainers, 'one row per trainer');

done_testing();
