using Yarp.ReverseProxy.Transforms;

namespace Ett.Gateway.Bench;

/// <summary>The "bare YARP" arm: the gateway's route and prefix removal, nothing else — no authentication, no transforms.</summary>
internal static class BareYarp
{
    public static async Task RunAsync(string url, string destination)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(url);
        builder.Services.AddHttpForwarder();
        var app = builder.Build();
        app.MapForwarder("/ett/{**path}", destination, transforms => transforms.AddPathRemovePrefix("/ett"));
        await app.RunAsync();
    }
}
