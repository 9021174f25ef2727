using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Ett.Sandbox.Ett;

/// <summary>Reads query parameters (names case-insensitive, as ETT's model binding) and collects binding errors as ETT reports them.</summary>
internal sealed class QueryReader(HttpContext http)
{
    private readonly Dictionary<string, string[]> _errors = [];

    public bool HasErrors => _errors.Count > 0;

    public IResult Problem() => EttResults.Validation(http, _errors);

    public string? String(string name)
    {
        var value = http.Request.Query[name].ToString();
        return value.Length == 0 ? null : value;
    }

    public long? Long(string name) =>
        String(name) is not { } raw ? null
        : long.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value
        : Invalid<long?>(name, raw);

    public int? Int(string name) =>
        String(name) is not { } raw ? null
        : int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= 0 ? value
        : Invalid<int?>(name, raw);

    /// <summary>Enum values bind case-insensitively by name or by number, like ASP.NET model binding.</summary>
    public TEnum? Enum<TEnum>(string name)
        where TEnum : struct, Enum =>
        String(name) is not { } raw ? null
        : System.Enum.TryParse<TEnum>(raw, ignoreCase: true, out var value) && System.Enum.IsDefined(value) ? value
        : Invalid<TEnum?>(name, raw);

    public void Require(string name)
    {
        if (String(name) is null)
        {
            _errors[name] = [$"The {name} field is required."];
        }
    }

    private T Invalid<T>(string name, string raw)
    {
        _errors[name] = [$"The value '{raw}' is not valid."];
        return default!;
    }
}

/// <summary>Reads a JSON request body the way ASP.NET's JSON input formatter does (camelCase, case-insensitive).</summary>
internal static class BodyReader
{
    public static bool TryRead<T>(HttpContext http, out T body, out IResult error)
        where T : class
    {
        body = null!;
        error = null!;
        var text = EttGate.BodyOf(http);
        if (string.IsNullOrWhiteSpace(text))
        {
            error = EttResults.Validation(http, "", "A non-empty request body is required.");
            return false;
        }

        try
        {
            if (JsonSerializer.Deserialize<T>(text, EttResults.Json) is { } read)
            {
                body = read;
                return true;
            }
        }
        catch (JsonException exception)
        {
            error = EttResults.Validation(http, exception.Path ?? "$", "The JSON value could not be converted.");
            return false;
        }

        error = EttResults.Validation(http, "", "A non-empty request body is required.");
        return false;
    }

    public static IResult? Missing(HttpContext http, params (string Name, bool Present)[] properties)
    {
        var errors = properties.Where(p => !p.Present).ToDictionary(p => p.Name, p => new[] { $"The {p.Name} field is required." });
        return errors.Count == 0 ? null : EttResults.Validation(http, errors);
    }
}
