using Ett.Gateway.Bench;

// One process, three roles: the bench itself, and the servers it starts ("upstream", "yarp").
switch (args.FirstOrDefault())
{
    case "upstream":
        await BenchUpstream.RunAsync(Environment.GetEnvironmentVariable("ASPNETCORE_URLS")!);
        return 0;
    case "yarp":
        await BareYarp.RunAsync(Environment.GetEnvironmentVariable("ASPNETCORE_URLS")!, args[1]);
        return 0;
    default:
        return await Bench.RunAsync(BenchSettings.Parse(args));
}
