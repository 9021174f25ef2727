using System.Security.Cryptography;
using Ett.Gateway.Operations.Store;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;

namespace Ett.Gateway.ClientSecrets;

/// <summary>
/// Encrypts rotated ETT client secrets with ASP.NET Core Data Protection: one purpose, one application name for every
/// instance, the key ring in the operations store (<see cref="StoreKeyRing"/>).
/// </summary>
internal sealed class ClientSecretProtection(IDataProtectionProvider provider, StoreKeyRing keyRing)
{
    /// <summary>Instances isolate their payloads by application name; every gateway instance shares this one.</summary>
    public const string ApplicationName = "Ett.Gateway";

    private const string Purpose = "Ett.Gateway.ClientSecrets.EttClientSecret.v1";

    public static void Configure(IServiceCollection services)
    {
        services.AddDataProtection().SetApplicationName(ApplicationName);
        services.AddSingleton<StoreKeyRing>();
        services.AddOptions<KeyManagementOptions>().Configure<StoreKeyRing>((options, ring) => options.XmlRepository = ring);
        services.AddSingleton<ClientSecretProtection>();
    }

    public string Protect(string secret) => provider.CreateProtector(Purpose).Protect(secret);

    public string Unprotect(string protectedSecret)
    {
        try
        {
            return provider.CreateProtector(Purpose).Unprotect(protectedSecret);
        }
        catch (CryptographicException)
        {
            // Encrypted with a key another instance created after this one cached its key ring (Data Protection re-reads
            // it about daily, e.g. two instances that started on an empty store at once): read the ring afresh.
            using var fresh = FreshProvider();
            return fresh.GetRequiredService<IDataProtectionProvider>().CreateProtector(Purpose).Unprotect(protectedSecret);
        }
    }

    private ServiceProvider FreshProvider()
    {
        var services = new ServiceCollection();
        services.AddDataProtection().SetApplicationName(ApplicationName).DisableAutomaticKeyGeneration();
        services.Configure<KeyManagementOptions>(options => options.XmlRepository = keyRing);
        return services.BuildServiceProvider();
    }
}
