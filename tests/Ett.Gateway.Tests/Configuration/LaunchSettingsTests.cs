using System.Text.Json.Nodes;

namespace Ett.Gateway.Tests.Configuration;

public class LaunchSettingsTests
{
    // `dotnet run` turns a profile's applicationUrl into ASPNETCORE_URLS and so overrides the caller's; a port in
    // ASPNETCORE_HTTP_PORTS gives way to ASPNETCORE_URLS and to --urls alike, as the README promises.
    [Fact]
    public void The_run_profile_picks_a_default_port_without_overriding_a_chosen_address()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(root.FullName, "Ett.Gateway.sln"))) root = root.Parent!;
        var profile = JsonNode.Parse(File.ReadAllText(Path.Combine(root.FullName, "src", "Ett.Gateway", "Properties", "launchSettings.json")))!
            ["profiles"]!["Ett.Gateway"]!;

        Assert.Null(profile["applicationUrl"]);
        Assert.Null(profile["environmentVariables"]!["ASPNETCORE_URLS"]);
        Assert.Equal("5080", profile["environmentVariables"]!["ASPNETCORE_HTTP_PORTS"]!.GetValue<string>());
    }
}
