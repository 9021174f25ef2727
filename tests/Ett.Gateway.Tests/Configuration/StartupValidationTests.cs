using System.Diagnostics;
using Ett.Gateway.Tests.Infrastructure;

namespace Ett.Gateway.Tests.Configuration;

public class StartupValidationTests
{
    [Fact]
    public void Valid_configuration_passes()
    {
        Assert.Null(StartupValidation.Run(StartupValidation.ValidSettings()));
    }

    [Theory]
    [InlineData("Ett:BaseUrl", "not a url", "Ett:BaseUrl")]
    [InlineData("Ett:TokenUrl", "", "Ett:TokenUrl")]
    [InlineData("Ett:ClientSecret", "", "Ett:ClientSecret")]
    [InlineData("Ett:ApiVersions:Wallets", "1", "Ett:ApiVersions:Wallets")]
    [InlineData("Callers:Audience", "", "Callers:Audience")]
    [InlineData("Ett:Resilience:AttemptTimeout", "00:01:00", "Ett:Resilience:AttemptTimeout")]
    [InlineData("Ett:Resilience:BreakerMinimumThroughput", "1", "Ett:Resilience:BreakerMinimumThroughput")]
    [InlineData("Callers:Organizations:app:0", "not-a-guid", "Callers:Organizations:app")]
    public void Bad_configuration_fails_start_up_naming_the_key(string key, string value, string named)
    {
        var settings = StartupValidation.ValidSettings();
        settings[key] = value;

        var failure = StartupValidation.Run(settings);

        Assert.NotNull(failure);
        Assert.Contains(named, failure.Message);
        Assert.DoesNotContain("secret-value", failure.Message);
    }

    [Fact]
    public async Task Gateway_process_with_bad_configuration_exits_naming_the_key()
    {
        var start = new ProcessStartInfo("dotnet", ["Ett.Gateway.dll", "--urls", "http://127.0.0.1:0"])
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        foreach (var (key, value) in StartupValidation.ValidSettings()) start.Environment[key.Replace(":", "__")] = value;
        start.Environment["Ett__BaseUrl"] = "not a url";
        start.Environment["Operations__DataDirectory"] = Directory.CreateTempSubdirectory("ett-gateway-config-").FullName;

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(90));

        Assert.NotEqual(0, process.ExitCode);
        Assert.Contains("Ett:BaseUrl must be an absolute http(s) URL", await output + await errors);
    }
}
