using System.Text.Json;
using Ett.Gateway.Features.Paging;
using Ett.Gateway.Upstream;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Ett.Gateway.Features.Certificates;

/// <summary>
/// A page of certificates written as <see cref="Page{Certificate}"/> is, straight from ETT's answers: ETT's wire shape
/// (unix seconds, quantity, a type in any casing) mapped as it is written, and each certificate's attributes written
/// as the bytes ETT sent them. No <see cref="Certificate"/> is made per item: the page was most of a request's cost.
/// Returns ETT's answers to the pool once written.
/// </summary>
internal sealed class CertificatePage(Page<EttCertificate> page, EttAnswerBodies bodies) : IResult
{
    // Flushed to the connection every so often, so that a page of a thousand is not all held before it is sent.
    private const int FlushBytes = 32 * 1024;

    private static readonly JsonEncodedText Items = JsonEncodedText.Encode("items");
    private static readonly JsonEncodedText NextCursor = JsonEncodedText.Encode("nextCursor");
    private static readonly JsonEncodedText TotalCount = JsonEncodedText.Encode("totalCount");
    private static readonly JsonEncodedText Id = JsonEncodedText.Encode("id");
    private static readonly JsonEncodedText Registry = JsonEncodedText.Encode("registry");
    private static readonly JsonEncodedText StreamId = JsonEncodedText.Encode("streamId");
    private static readonly JsonEncodedText Type = JsonEncodedText.Encode("type");
    private static readonly JsonEncodedText GridArea = JsonEncodedText.Encode("gridArea");
    private static readonly JsonEncodedText Start = JsonEncodedText.Encode("start");
    private static readonly JsonEncodedText End = JsonEncodedText.Encode("end");
    private static readonly JsonEncodedText QuantityWh = JsonEncodedText.Encode("quantityWh");
    private static readonly JsonEncodedText Attributes = JsonEncodedText.Encode("attributes");
    private static readonly JsonEncodedText Production = JsonEncodedText.Encode("production");
    private static readonly JsonEncodedText Consumption = JsonEncodedText.Encode("consumption");

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        try
        {
            var json = httpContext.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
            var response = httpContext.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/json; charset=utf-8";
            var body = response.BodyWriter;
            await using var writer = new Utf8JsonWriter(body, new JsonWriterOptions { Encoder = json.Encoder, Indented = json.WriteIndented });
            writer.WriteStartObject();
            writer.WriteStartArray(Items);
            foreach (var certificate in page.Items)
            {
                Write(writer, certificate);
                if (writer.BytesPending < FlushBytes) continue;
                writer.Flush();
                await body.FlushAsync(httpContext.RequestAborted);
            }
            writer.WriteEndArray();
            if (page.NextCursor is { } cursor) writer.WriteString(NextCursor, cursor);
            else writer.WriteNull(NextCursor);
            if (page.TotalCount is { } total) writer.WriteNumber(TotalCount, total);
            else writer.WriteNull(TotalCount);
            writer.WriteEndObject();
            writer.Flush();
            await body.FlushAsync(httpContext.RequestAborted);
        }
        finally
        {
            bodies.Dispose();
        }
    }

    private static void Write(Utf8JsonWriter writer, in EttCertificate certificate)
    {
        writer.WriteStartObject();
        writer.WriteStartObject(Id);
        writer.WriteString(Registry, certificate.Registry);
        writer.WriteString(StreamId, certificate.StreamId);
        writer.WriteEndObject();
        // The wallet sends lowercase, ETT's portal documents PascalCase (ETT-API.md §10): callers always get lowercase.
        if (certificate.CertificateType.Equals("production", StringComparison.OrdinalIgnoreCase)) writer.WriteString(Type, Production);
        else if (certificate.CertificateType.Equals("consumption", StringComparison.OrdinalIgnoreCase)) writer.WriteString(Type, Consumption);
        else writer.WriteString(Type, certificate.CertificateType.ToLowerInvariant());
        writer.WriteString(GridArea, certificate.GridArea);
        writer.WriteString(Start, DateTimeOffset.FromUnixTimeSeconds(certificate.Start));
        writer.WriteString(End, DateTimeOffset.FromUnixTimeSeconds(certificate.End));
        writer.WriteNumber(QuantityWh, certificate.Quantity);
        writer.WritePropertyName(Attributes);
        certificate.Attributes.WriteTo(writer);
        writer.WriteEndObject();
    }
}
