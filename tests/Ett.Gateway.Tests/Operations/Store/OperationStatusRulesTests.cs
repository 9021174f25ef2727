using Ett.Gateway.Operations.Store;

namespace Ett.Gateway.Tests.Operations.Store;

// Statuses are written as callers see them; the enums are internal to the gateway.
public sealed class OperationStatusRulesTests
{
    [Theory]
    [InlineData("accepted", "planned", "planned")]
    [InlineData("running", "intentRecorded", "planned")]
    [InlineData("running", "completed", "planned")]
    [InlineData("running", "completed", "submitted")]
    [InlineData("running", "failed", "unknown")]
    [InlineData("completed", "completed", "completed")]
    [InlineData("failed", "failed", "failed")]
    [InlineData("partiallyCompleted", "completed", "failed")]
    public void Operation_status_is_derived_from_its_legs(string expected, params string[] legs) =>
        Assert.Equal(Enum.Parse<OperationStatus>(expected, ignoreCase: true),
            OperationStatusRules.Derive(legs.Select(leg => Enum.Parse<LegStatus>(leg, ignoreCase: true)).ToList()));

    [Fact]
    public void Operation_without_legs_had_nothing_to_do_and_is_completed() =>
        Assert.Equal(OperationStatus.Completed, OperationStatusRules.Derive([]));

    [Theory]
    [InlineData("planned", "intentRecorded", true)]
    [InlineData("planned", "submitted", false)]
    [InlineData("intentRecorded", "submitted", true)]
    [InlineData("intentRecorded", "unknown", true)]
    [InlineData("intentRecorded", "failed", true)]
    [InlineData("intentRecorded", "planned", true)]
    [InlineData("unknown", "planned", true)]
    [InlineData("unknown", "submitted", false)]
    [InlineData("submitted", "completed", true)]
    [InlineData("submitted", "unknown", true)]
    [InlineData("completed", "failed", false)]
    public void A_leg_returns_to_planned_only_when_it_is_proven_unsent(string from, string to, bool allowed) =>
        Assert.Equal(allowed, OperationStatusRules.CanMove(Enum.Parse<LegStatus>(from, ignoreCase: true), Enum.Parse<LegStatus>(to, ignoreCase: true)));
}
