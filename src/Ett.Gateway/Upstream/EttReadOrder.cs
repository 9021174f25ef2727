namespace Ett.Gateway.Upstream;

/// <summary>
/// Orders the gateway's reads from ETT (token requests, consent lists) where the clock cannot: two reads within one
/// clock tick still happened one after the other. A token is numbered when it arrives, a consent list when it is
/// requested, so a list numbered after a token shows ETT's consents as they were after that token was issued.
/// </summary>
internal static class EttReadOrder
{
    private static long _last;

    public static long Next() => Interlocked.Increment(ref _last);
}
