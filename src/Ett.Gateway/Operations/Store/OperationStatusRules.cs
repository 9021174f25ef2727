namespace Ett.Gateway.Operations.Store;

/// <summary>The one place that says how legs move and what they make of their operation.</summary>
internal static class OperationStatusRules
{
    private static readonly Dictionary<LegStatus, LegStatus[]> Transitions = new()
    {
        [LegStatus.Planned] = [LegStatus.IntentRecorded],
        // failed: ETT rejected the POST synchronously (400), so nothing was reserved. planned: the gateway's own circuit
        // breaker or ETT concurrency cap refused the POST before it left, so ETT never saw it.
        [LegStatus.IntentRecorded] = [LegStatus.Submitted, LegStatus.Unknown, LegStatus.Failed, LegStatus.Planned],
        // unknown: ETT refused the request-status permanently (e.g. 404) too often; its lists decide.
        [LegStatus.Submitted] = [LegStatus.Completed, LegStatus.Failed, LegStatus.Unknown],
        // planned: the reconciler proved the POST never took effect, so the leg may be sent again.
        [LegStatus.Unknown] = [LegStatus.Planned, LegStatus.Completed, LegStatus.Failed],
        [LegStatus.Completed] = [],
        [LegStatus.Failed] = [],
    };

    public static bool CanMove(LegStatus from, LegStatus to) => Transitions[from].Contains(to);

    public static bool IsFinal(LegStatus status) => status is LegStatus.Completed or LegStatus.Failed;

    /// <summary>
    /// accepted until a leg starts; running while any leg is not final; then completed, failed or partiallyCompleted.
    /// An operation without legs had nothing to do, so it is completed.
    /// </summary>
    public static OperationStatus Derive(IReadOnlyCollection<LegStatus> legs)
    {
        if (legs.Count > 0 && legs.All(leg => leg == LegStatus.Planned)) return OperationStatus.Accepted;
        if (!legs.All(IsFinal)) return OperationStatus.Running;
        if (legs.All(leg => leg == LegStatus.Completed)) return OperationStatus.Completed;
        if (legs.All(leg => leg == LegStatus.Failed)) return OperationStatus.Failed;
        return OperationStatus.PartiallyCompleted;
    }
}
