using Xunit.Abstractions;
using Xunit.Sdk;

namespace Ett.Gateway.Tests.Operations.Store;

/// <summary>
/// A fact of the shared store suite. On a class marked <see cref="RequiresPostgresAttribute"/> it is skipped when
/// ETT_TEST_POSTGRES is unset, except under CI=true, where it runs and fails: CI must prove both stores.
/// </summary>
[XunitTestCaseDiscoverer("Ett.Gateway.Tests.Operations.Store.StoreFactDiscoverer", "Ett.Gateway.Tests")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class StoreFactAttribute : FactAttribute;

[AttributeUsage(AttributeTargets.Class)]
public sealed class RequiresPostgresAttribute : Attribute
{
    public const string Variable = "ETT_TEST_POSTGRES";

    public static string? ConnectionString => Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value ? value : null;

    public static bool UnderCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
}

public sealed class StoreFactDiscoverer(IMessageSink diagnosticMessageSink) : IXunitTestCaseDiscoverer
{
    public IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute)
    {
        var display = discoveryOptions.MethodDisplayOrDefault();
        var displayOptions = discoveryOptions.MethodDisplayOptionsOrDefault();
        var needsPostgres = testMethod.TestClass.Class.GetCustomAttributes(typeof(RequiresPostgresAttribute)).Any();
        if (needsPostgres && RequiresPostgresAttribute.ConnectionString is null && !RequiresPostgresAttribute.UnderCi)
        {
            yield return new XunitSkippedDataRowTestCase(diagnosticMessageSink, display, displayOptions, testMethod,
                $"{RequiresPostgresAttribute.Variable} is not set (source .ci/services/postgres.sh to run the PostgreSQL store tests)");
            yield break;
        }
        yield return new XunitTestCase(diagnosticMessageSink, display, displayOptions, testMethod);
    }
}
