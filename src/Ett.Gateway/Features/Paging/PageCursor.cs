using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Ett.Gateway.Features.Paging;

/// <summary>
/// The gateway's opaque paging cursor: the ETT offset where the next page starts plus a fingerprint of the query that
/// issued it, base64url-encoded. ETT's own <c>*/cursor</c> endpoints cannot be advanced from certificate or transfer
/// responses (ETT-API.md §7), so the gateway pages ETT's offset endpoints and keeps the offset here.
/// </summary>
internal static class PageCursor
{
    private const string Version = "v1";

    /// <summary>A fingerprint of everything that selects the items (list, organization, filters), never the page size.</summary>
    public static string Fingerprint(params object?[] query)
    {
        var text = string.Join('\u001f', query.Select(part => Convert.ToString(part, CultureInfo.InvariantCulture) ?? ""));
        return Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes(text))[..12]);
    }

    public static string Encode(int offset, string fingerprint) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes(FormattableString.Invariant($"{Version}:{offset}:{fingerprint}")));

    /// <summary>Reads a cursor this gateway issued; false when it is not one (whatever the query).</summary>
    public static bool TryDecode(string cursor, out int offset, out string fingerprint)
    {
        (offset, fingerprint) = (0, "");
        if (cursor.Length is 0 or > 200 || !Base64Url.IsValid(cursor)) return false;
        string text;
        try
        {
            text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor));
        }
        catch (FormatException)
        {
            return false;
        }
        var parts = text.Split(':');
        if (parts is not [Version, var number, var print] || print.Length == 0
            || !int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out offset))
            return false;
        fingerprint = print;
        return true;
    }

    /// <summary>The offset a request starts at: 0 without a cursor; callers validate the cursor first.</summary>
    public static int OffsetOf(string? cursor) => cursor is not null && TryDecode(cursor, out var offset, out _) ? offset : 0;
}
