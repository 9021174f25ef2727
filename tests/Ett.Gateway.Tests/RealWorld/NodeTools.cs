using System.Diagnostics;

namespace Ett.Gateway.Tests.RealWorld;

/// <summary>Where the real-world tools are: <c>tests/node</c> (its scripts and node_modules), node, Chromium.</summary>
public static class NodeTools
{
    public const string ChromiumPath = "/usr/bin/chromium";

    public static bool UnderCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public static string Folder => Path.Combine(RepositoryRoot, "tests", "node");

    /// <summary>Why <paramref name="needs"/> cannot run here, or null.</summary>
    public static string? Missing(RealWorldTool needs)
    {
        if (needs == RealWorldTool.DotnetOnly) return null;
        if (FindOnPath("node") is null) return "node is not installed";
        if (!Directory.Exists(Path.Combine(Folder, "node_modules", "oidc-provider"))) return "tests/node has no node_modules (npm ci)";
        if (needs == RealWorldTool.Chromium && !File.Exists(ChromiumPath)) return $"{ChromiumPath} is not installed";
        return null;
    }

    /// <summary>Starts <c>node script args…</c> in tests/node with standard input held open (closing it stops the script).</summary>
    public static Process StartNode(string script, params string[] arguments)
    {
        var start = new ProcessStartInfo("node", [script, .. arguments])
        {
            WorkingDirectory = Folder,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        return Process.Start(start) ?? throw new InvalidOperationException($"node {script} did not start.");
    }

    private static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(directory => Path.Combine(directory, program))
            .FirstOrDefault(File.Exists);

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "Ett.Gateway.sln"))) return directory.FullName;
        throw new InvalidOperationException($"No Ett.Gateway.sln above {AppContext.BaseDirectory}.");
    }
}
