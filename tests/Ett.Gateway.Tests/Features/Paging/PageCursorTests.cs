using System.Text;
using Ett.Gateway.Features.Paging;

namespace Ett.Gateway.Tests.Features.Paging;

public class PageCursorTests
{
    [Fact]
    public void Cursor_carries_offset_and_fingerprint_as_url_safe_text()
    {
        var fingerprint = PageCursor.Fingerprint("certificates", Guid.Empty, "production", null, 1L, 2L);

        var cursor = PageCursor.Encode(1234, fingerprint);

        Assert.Matches("^[A-Za-z0-9_-]+$", cursor);
        Assert.True(PageCursor.TryDecode(cursor, out var offset, out var decoded));
        Assert.Equal((1234, fingerprint), (offset, decoded));
    }

    [Fact]
    public void Fingerprint_differs_when_any_filter_differs_and_is_stable_otherwise()
    {
        var org = Guid.NewGuid();

        Assert.Equal(PageCursor.Fingerprint("claims", org, 1L, null), PageCursor.Fingerprint("claims", org, 1L, null));
        Assert.NotEqual(PageCursor.Fingerprint("claims", org, 1L, null), PageCursor.Fingerprint("claims", org, null, 1L));
        Assert.NotEqual(PageCursor.Fingerprint("claims", org, 1L, null), PageCursor.Fingerprint("transfers", org, 1L, null));
        Assert.NotEqual(PageCursor.Fingerprint("claims", org, 1L, null), PageCursor.Fingerprint("claims", Guid.NewGuid(), 1L, null));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not a cursor!")]
    [InlineData("djE6MTAw")] // "v1:100": no fingerprint
    [InlineData("==")]
    public void Strings_the_gateway_did_not_issue_are_not_cursors(string text) =>
        Assert.False(PageCursor.TryDecode(text, out _, out _));

    [Theory]
    [InlineData("v2:10:abc")]
    [InlineData("v1:-1:abc")]
    [InlineData("v1:ten:abc")]
    [InlineData("v1:99999999999:abc")]
    [InlineData("v1:10:abc:extra")]
    public void Well_encoded_cursors_with_bad_content_are_rejected(string content) =>
        Assert.False(PageCursor.TryDecode(Convert.ToBase64String(Encoding.UTF8.GetBytes(content)).TrimEnd('=').Replace('+', '-').Replace('/', '_'), out _, out _));
}
