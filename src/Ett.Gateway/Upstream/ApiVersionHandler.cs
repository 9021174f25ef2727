namespace Ett.Gateway.Upstream;

/// <summary>Sets (never appends) the pinned <c>X-API-Version</c> and watches ETT's deprecation headers.</summary>
internal sealed class ApiVersionHandler(ApiVersionPins pins) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var (group, version) = pins.For(request.RequestUri!);
        request.Headers.Remove(ApiVersionPins.HeaderName);
        request.Headers.TryAddWithoutValidation(ApiVersionPins.HeaderName, version);

        var response = await base.SendAsync(request, cancellationToken);
        pins.Observe(group, version, name => response.Headers.TryGetValues(name, out var values) ? values : []);
        return response;
    }
}
