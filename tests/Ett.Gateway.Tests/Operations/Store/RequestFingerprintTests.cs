using System.Text;
using Ett.Gateway.Operations.Store;

namespace Ett.Gateway.Tests.Operations.Store;

public sealed class RequestFingerprintTests
{
    private static string Of(string method, string path, string body) => RequestFingerprint.Compute(method, path, Encoding.UTF8.GetBytes(body));

    [Fact]
    public void Same_json_with_other_whitespace_and_member_order_has_the_same_fingerprint() =>
        Assert.Equal(
            Of("POST", "/transfers", """{"quantityWh":5000,"filters":{"to":2,"from":1}}"""),
            Of("post", "/transfers", """ { "filters" : { "from": 1, "to": 2 }, "quantityWh": 5000 } """));

    [Theory]
    [InlineData("POST", "/transfers", """{"quantityWh":5001}""")]
    [InlineData("POST", "/claims", """{"quantityWh":5000}""")]
    [InlineData("PUT", "/transfers", """{"quantityWh":5000}""")]
    [InlineData("POST", "/transfers", """{"quantityWh":5000,"hashedAttributes":"all"}""")]
    public void Any_change_of_method_path_or_value_changes_the_fingerprint(string method, string path, string body) =>
        Assert.NotEqual(Of("POST", "/transfers", """{"quantityWh":5000}"""), Of(method, path, body));

    [Fact]
    public void Fingerprint_is_the_hex_sha256_and_a_non_json_body_is_taken_as_is()
    {
        var fingerprint = Of("POST", "/transfers", "not json");

        Assert.Matches("^[0-9a-f]{64}$", fingerprint);
        Assert.NotEqual(fingerprint, Of("POST", "/transfers", "not json!"));
    }
}
