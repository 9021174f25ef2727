namespace Ett.Gateway.Upstream;

/// <summary>An ETT API whose <c>X-API-Version</c> is pinned separately, found by the path prefix of a request.</summary>
public sealed record ApiGroup(string Name, string PathPrefix)
{
    public static readonly ApiGroup Authorization = new("Authorization", "api/authorization");
    public static readonly ApiGroup Measurements = new("Measurements", "api/measurements");
    public static readonly ApiGroup Certificates = new("Certificates", "api/certificates");
    public static readonly ApiGroup Reports = new("Reports", "api/reports");
    public static readonly ApiGroup Wallet = new("Wallet", "wallet-api");

    /// <summary>Anything else ETT serves (e.g. <c>api/transfer</c>).</summary>
    public static readonly ApiGroup Other = new("Other", "");

    private static readonly ApiGroup[] Groups = [Authorization, Measurements, Certificates, Reports, Wallet, Other];

    public static IReadOnlyList<ApiGroup> All => Groups;

    public static bool IsKnown(string name) => All.Any(g => g.Name.Equals(name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The group of a path relative to ETT's base address, e.g. <c>wallet-api/transfers</c>.</summary>
    public static ApiGroup ForPath(string relativePath) => ForPath(relativePath.AsSpan());

    /// <summary><see cref="ForPath(string)"/> without allocating: the passthrough asks on every request.</summary>
    public static ApiGroup ForPath(ReadOnlySpan<char> relativePath)
    {
        var path = relativePath.TrimStart('/');
        for (var i = 0; i < Groups.Length; i++)
        {
            var group = Groups[i];
            if (group.PathPrefix.Length > 0 && path.StartsWith(group.PathPrefix, StringComparison.OrdinalIgnoreCase) &&
                (path.Length == group.PathPrefix.Length || path[group.PathPrefix.Length] == '/'))
                return group;
        }
        return Other;
    }
}
