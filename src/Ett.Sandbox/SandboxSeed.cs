namespace Ett.Sandbox;

/// <summary>Well-known ids and development credentials of the seeded sandbox, so docs and tests can name them.</summary>
public static class SandboxSeed
{
    // ETT's client ids are B2C application ids, GUIDs: its credentials API routes only {clientId:guid} (EO CredentialController.cs).

    /// <summary>Trial ETT client; consents from the producer, consumer and trader.</summary>
    public const string EttClientId = "e77c11e0-0000-4000-8000-000000000001";

    /// <summary>Secret of <see cref="EttClientId"/>, its onboarding secret: valid one month from the seed (ETT PR #1874).</summary>
    public const string EttClientSecret = "sandbox-ett-secret";

    /// <summary>Normal (non-trial) ETT client; consent from <see cref="NormalProducerOrganizationId"/> only.</summary>
    public const string SecondEttClientId = "e77c11e0-0000-4000-8000-000000000002";

    /// <summary>Secret of <see cref="SecondEttClientId"/>.</summary>
    public const string SecondEttClientSecret = "sandbox-ett-secret";

    /// <summary>Trial ETT client whose only consent is <see cref="LargeProducerOrganizationId"/>.</summary>
    public const string ThirdEttClientId = "e77c11e0-0000-4000-8000-000000000003";

    /// <summary>Secret of <see cref="ThirdEttClientId"/>.</summary>
    public const string ThirdEttClientSecret = "sandbox-ett-secret";

    /// <summary>Development caller with every permission (roles Ett.Read and Ett.Write).</summary>
    public const string CallerClientId = "sandbox-app";

    /// <summary>Read-only development caller (role Ett.Read).</summary>
    public const string ReaderClientId = "sandbox-reader";

    /// <summary>Development operator (roles Ett.Read and Ett.Admin): the gateway's ETT client secrets.</summary>
    public const string AdminClientId = "sandbox-admin";

    /// <summary>Secret of the development callers.</summary>
    public const string CallerClientSecret = "sandbox-secret";

    /// <summary>Registry name in every seeded certificate's federatedStreamId.</summary>
    public const string Registry = "Energinet.dk";

    /// <summary>Own organization of <see cref="EttClientId"/> (trial).</summary>
    public static readonly Guid ClientOrganizationId = new("5a4d0000-0000-4000-8000-000000000001");

    /// <summary>Trial producer with production metering points in DK1 and DK2.</summary>
    public static readonly Guid ProducerOrganizationId = new("5a4d0000-0000-4000-8000-000000000002");

    /// <summary>Trial consumer with consumption metering points in DK1 and DK2; also holds bought production slices.</summary>
    public static readonly Guid ConsumerOrganizationId = new("5a4d0000-0000-4000-8000-000000000003");

    /// <summary>Trial trader without metering points; holds bought production slices in DK2.</summary>
    public static readonly Guid TraderOrganizationId = new("5a4d0000-0000-4000-8000-000000000004");

    /// <summary>Trial organization that has consented to no client (for consent onboarding).</summary>
    public static readonly Guid UnconsentedOrganizationId = new("5a4d0000-0000-4000-8000-000000000005");

    /// <summary>Own organization of <see cref="SecondEttClientId"/> (normal).</summary>
    public static readonly Guid SecondClientOrganizationId = new("5a4d0000-0000-4000-8000-000000000006");

    /// <summary>Normal producer that consented to <see cref="SecondEttClientId"/>.</summary>
    public static readonly Guid NormalProducerOrganizationId = new("5a4d0000-0000-4000-8000-000000000007");

    /// <summary>
    /// Trial producer with <see cref="LargeProducerTurbines"/> turbines over the last <see cref="LargeProducerHours"/>
    /// hours: 1,200 available production certificates whose ends tie in groups of 60. Consented to <see cref="ThirdEttClientId"/>.
    /// </summary>
    public static readonly Guid LargeProducerOrganizationId = new("5a4d0000-0000-4000-8000-000000000008");

    /// <summary>Own organization of <see cref="ThirdEttClientId"/> (trial).</summary>
    public static readonly Guid ThirdClientOrganizationId = new("5a4d0000-0000-4000-8000-000000000009");

    /// <summary>Trial organization without a wallet (it never accepted ETT's terms); consented to nobody.</summary>
    public static readonly Guid NoWalletOrganizationId = new("5a4d0000-0000-4000-8000-00000000000a");

    /// <summary>
    /// A completed PDF report of the producer, made in ETT's portal (a client-credentials token cannot make one: ETT
    /// needs <c>org_cvr</c>, Transfer API ReportsController.RequestReportGeneration).
    /// </summary>
    public static readonly Guid ProducerReportId = new("4e904700-0000-4000-8000-000000000002");

    /// <summary>The producer's report still being generated: listed as <c>Pending</c>, its download 404.</summary>
    public static readonly Guid ProducerPendingReportId = new("4e904700-0000-4000-8000-000000000012");

    /// <summary>A completed PDF report of the consumer.</summary>
    public static readonly Guid ConsumerReportId = new("4e904700-0000-4000-8000-000000000003");

    /// <summary>Turbines of <see cref="LargeProducerOrganizationId"/>.</summary>
    public const int LargeProducerTurbines = 60;

    /// <summary>Hours of certificates of <see cref="LargeProducerOrganizationId"/>, ending at the current hour.</summary>
    public const int LargeProducerHours = 20;

    /// <summary>Uncontracted solar park of <see cref="NoWalletOrganizationId"/> (issuing).</summary>
    public const string NoWalletSolarGsrn = "571313100000000101";

    /// <summary>GSRN of turbine <paramref name="number"/> (0-based) of <see cref="LargeProducerOrganizationId"/>.</summary>
    public static string LargeProducerGsrn(int number) => $"57131310000000{800 + number:D4}";

    /// <summary>Producer's wind turbine in DK1 (contracted, issuing).</summary>
    public const string ProducerWindGsrn = "571313100000000011";

    /// <summary>Producer's solar park in DK2 (contracted, issuing).</summary>
    public const string ProducerSolarGsrn = "571313100000000012";

    /// <summary>Producer's solar park in DK1 without a contract (issuing): a contract can be created for it.</summary>
    public const string ProducerUncontractedSolarGsrn = "571313100000000013";

    /// <summary>Producer's biomass plant in DK1 that cannot issue certificates (contract creation gives 409).</summary>
    public const string ProducerBiomassGsrn = "571313100000000014";

    /// <summary>Consumer's site in DK1 (contracted).</summary>
    public const string ConsumerDk1Gsrn = "571313100000000021";

    /// <summary>Consumer's site in DK2 (contracted).</summary>
    public const string ConsumerDk2Gsrn = "571313100000000022";

    /// <summary>Normal producer's wind turbine in DK1 (contracted, issuing).</summary>
    public const string NormalProducerWindGsrn = "571313100000000071";

    /// <summary>Wallet id of an organization: every seeded organization owns exactly one wallet.</summary>
    public static Guid WalletIdOf(Guid organizationId) => new(organizationId.ToString().Replace("5a4d0000", "3a11e700", StringComparison.Ordinal));
}
