using Ett.Gateway.Operations;
using Ett.Gateway.Operations.Store;

namespace Ett.Gateway.Tests.Operations;

/// <summary>
/// <see cref="LegReconciler.TookEffect"/>: which unknown legs of one certificate and receiver ETT's list (a sum, no
/// request ids) says took effect, given what it lists beyond the legs whose outcome is known.
/// </summary>
public sealed class LegReconcilerTests
{
    private static readonly Guid First = new("00000000-0000-7000-8000-000000000001");
    private static readonly Guid Second = new("00000000-0000-7000-8000-000000000002");
    private static readonly Guid Third = new("00000000-0000-7000-8000-000000000003");
    private static readonly Guid Fourth = new("00000000-0000-7000-8000-000000000004");
    private static readonly Guid RequestId = new("0000000a-0000-4000-8000-000000000000");

    private static LegReconciler.Outcome Leg(Guid id, long wh, bool hasRequestId = false) =>
        new(id, LegStatus.Unknown, hasRequestId ? RequestId : null, wh);

    private static LegReconciler.Outcome Parse(string leg)
    {
        var parts = leg.Split(':');
        return Leg(new Guid($"00000000-0000-7000-8000-00000000000{parts[0]}"), long.Parse(parts[1]), parts.Length == 3);
    }

    /// <summary>Legs written <c>id:Wh</c>, or <c>id:Wh:r</c> for one ETT gave a request id; the first is the leg decided.</summary>
    public static TheoryData<string, long, string[], bool?> Cases => new()
    {
        { "distinct quantities, this one listed", 1000, ["1:1000", "2:2000"], true },
        { "distinct quantities, the other listed", 2000, ["1:1000", "2:2000"], false },
        { "distinct quantities, both listed", 3000, ["1:1000", "2:2000"], true },
        { "nothing adds up", 1500, ["1:1000", "2:2000"], null },
        { "1+2 or 3: the worlds disagree", 3000, ["1:1000", "2:2000", "3:3000"], null },
        { "1+2 or 3: the worlds disagree, for the 3 too", 3000, ["3:3000", "1:1000", "2:2000"], null },
        { "5+3 or 5+1+2: one 5 in every world", 8000, ["1:5000", "2:1000", "3:2000", "4:3000"], true },
        { "equal quantities, one listed: the first by id took effect", 1000, ["1:1000", "2:1000"], true },
        { "equal quantities, one listed: the second by id is sent again", 1000, ["2:1000", "1:1000"], false },
        { "equal quantities, one listed: one with a request id goes first", 1000, ["2:1000:r", "1:1000"], true },
        { "equal quantities, one listed: the other, then, is sent again", 1000, ["1:1000", "2:1000:r"], false },
        { "three equal, two listed: the third by id is not", 2000, ["3:1000", "1:1000", "2:1000"], false },
        { "three equal, two listed: the second by id is", 2000, ["2:1000", "1:1000", "3:1000"], true },
        { "equal quantities, both listed", 2000, ["2:1000", "1:1000"], true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Took_effect_is_decided_only_where_every_world_ETT_allows_agrees(string because, long excessWh, string[] legs, bool? expected)
    {
        var unknown = legs.Select(Parse).ToList();

        Assert.True(expected == LegReconciler.TookEffect(excessWh, unknown[0], unknown[1..]), because);
    }

    [Fact]
    public void Every_leg_of_equal_quantity_gets_one_answer_and_they_add_up_to_what_ETT_lists()
    {
        LegReconciler.Outcome[] legs = [Leg(Fourth, 700), Leg(Second, 700, hasRequestId: true), Leg(First, 700), Leg(Third, 700)];

        var tookEffect = legs.Where(leg => LegReconciler.TookEffect(2100, leg, [.. legs.Where(other => other != leg)]) == true).Select(leg => leg.Id).ToList();

        Assert.Equal([Second, First, Third], tookEffect.OrderBy(id => id == Second ? 0 : 1).ThenBy(id => id));
    }

    [Fact]
    public void More_unknown_legs_than_can_be_combined_are_left_undecided()
    {
        var others = Enumerable.Range(0, LegReconciler.MaxUnknownToCombine + 1).Select(i => Leg(Guid.NewGuid(), 1000 + i)).ToArray();

        Assert.Null(LegReconciler.TookEffect(1000, Leg(First, 1000), others));
    }
}
