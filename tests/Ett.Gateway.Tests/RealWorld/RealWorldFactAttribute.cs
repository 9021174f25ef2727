using Xunit.Abstractions;
using Xunit.Sdk;

namespace Ett.Gateway.Tests.RealWorld;

/// <summary>What a real-world test needs on the machine besides .NET.</summary>
public enum RealWorldTool
{
    /// <summary>node and <c>npm ci</c> in <c>tests/node</c> (oidc-provider, playwright-core).</summary>
    Node,

    /// <summary>Node's tools and Debian's <c>chromium</c>.</summary>
    Chromium,

    /// <summary>Nothing but .NET: the built apps beside the tests as their own processes.</summary>
    DotnetOnly,
}

/// <summary>
/// A test against real processes (a certified OpenID provider, the gateway as its own process, Chromium). Skipped when
/// its tools are missing, except under CI=true, where it runs and fails: CI must prove them. <c>.ci/services/node.sh</c>
/// installs them; the class carries <c>[Trait("Category", "RealWorld")]</c> so they can be run alone.
/// </summary>
[XunitTestCaseDiscoverer("Ett.Gateway.Tests.RealWorld.RealWorldFactDiscoverer", "Ett.Gateway.Tests")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class RealWorldFactAttribute(RealWorldTool needs = RealWorldTool.Node) : FactAttribute
{
    public RealWorldTool Needs { get; } = needs;
}

public sealed class RealWorldFactDiscoverer(IMessageSink diagnosticMessageSink) : IXunitTestCaseDiscoverer
{
    public IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute)
    {
        var display = discoveryOptions.MethodDisplayOrDefault();
        var displayOptions = discoveryOptions.MethodDisplayOptionsOrDefault();
        var needs = factAttribute.GetConstructorArguments().OfType<RealWorldTool>().FirstOrDefault();
        if (NodeTools.Missing(needs) is { } missing && !NodeTools.UnderCi)
        {
            yield return new XunitSkippedDataRowTestCase(diagnosticMessageSink, display, displayOptions, testMethod,
                $"{missing} (source .ci/services/node.sh to run the real-world tests)");
            yield break;
        }
        yield return new XunitTestCase(diagnosticMessageSink, display, displayOptions, testMethod);
    }
}
