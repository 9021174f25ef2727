using System.Globalization;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Ett.Gateway.Chaos;

/// <summary>Prints each run's figures into the <c>dotnet test</c> output (xunit diagnostic messages), passing or not.</summary>
public sealed class ChaosReport(IMessageSink sink)
{
    public void Print(string line) => sink.OnMessage(new DiagnosticMessage(line));
}

/// <summary>
/// The chaos proof of the operations engine against real processes (issue 9). CI runs the fixed seeds below; together
/// they make at least 200 operations and 10 kills, one on two instances sharing PostgreSQL. Real processes run on the
/// system clock, so this category runs once (at the first of <c>.ci/run</c>'s instants). A longer soak with a random
/// seed: <c>CHAOS_OPERATIONS=2000 dotnet test tests/Ett.Gateway.Chaos</c> (README, "exactly once").
/// </summary>
[Trait("Category", "Chaos")]
public sealed class ChaosTests(ChaosReport report, ITestOutputHelper output) : IClassFixture<ChaosReport>
{
    public static TheoryData<int, int, int, bool, int> Seeds()
    {
        if (Environment.GetEnvironmentVariable("CHAOS_OPERATIONS") is { Length: > 0 } soak)
        {
            // The soak: one long run, its seed random unless CHAOS_SEED names one.
            var operations = int.Parse(soak, CultureInfo.InvariantCulture);
            var seed = Environment.GetEnvironmentVariable("CHAOS_SEED") is { Length: > 0 } chosen ? int.Parse(chosen, CultureInfo.InvariantCulture) : Random.Shared.Next(1_000, 1_000_000);
            var instances = Environment.GetEnvironmentVariable("CHAOS_INSTANCES") is { Length: > 0 } n ? int.Parse(n, CultureInfo.InvariantCulture) : 1;
            return new TheoryData<int, int, int, bool, int> { { seed, operations, instances, instances > 1, Math.Max(1, operations / 20) } };
        }
        return new TheoryData<int, int, int, bool, int>
        {
            // seed, operations, gateway instances, PostgreSQL, kills
            { 11, 70, 1, false, 4 },
            { 23, 70, 1, false, 3 },
            { 37, 80, 2, true, 4 },
        };
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public async Task Under_faults_and_kills_no_leg_is_applied_twice_none_is_lost_and_none_is_stuck(int seed, int operations, int instances, bool postgres, int kills)
    {
        if (postgres && ChaosRun.PostgresConnectionString is null)
        {
            // CI sets it (.ci/services/postgres.sh) and must run this seed; a developer without PostgreSQL skips it.
            Assert.False(Environment.GetEnvironmentVariable("CI") == "true", $"Seed {seed} needs PostgreSQL: ETT_TEST_POSTGRES is not set under CI.");
            output.WriteLine($"chaos seed={seed} skipped: ETT_TEST_POSTGRES is not set.");
            return;
        }
        var scenario = new ChaosScenario(seed, operations, instances, postgres, kills);

        var figures = await new ChaosRun(scenario, output.WriteLine).RunAsync();

        report.Print(figures.ToString());
        output.WriteLine(figures.ToString());
        foreach (var finding in figures.Findings.Take(50))
        {
            report.Print("  " + finding);
            output.WriteLine("  " + finding);
        }
        Assert.Equal(0, figures.Duplicates);
        Assert.Equal(0, figures.Lost);
        Assert.Equal(0, figures.Stuck);
        Assert.Equal(0, figures.FailedLegs);
        Assert.Equal(0, figures.WalletsOff);
        Assert.Equal(0, figures.Unanswered);
        // The run must have been hard enough to mean something.
        Assert.True(figures.Operations >= operations, $"only {figures.Operations} operations");
        Assert.True(figures.Kills >= kills, $"only {figures.Kills} kills");
        Assert.True(figures.FaultedPercent >= 10, $"only {figures.FaultedPercent:F1} % of ETT calls faulted");
        Assert.True(figures.ResponsesLost > 0, "no ETT call was applied with its response lost");
        Assert.True(figures.Accepted > operations / 2, $"only {figures.Accepted} operations accepted");
    }
}
