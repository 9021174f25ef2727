using System.Globalization;
using static Ett.Sandbox.SandboxSeed;

namespace Ett.Sandbox.Ledger;

/// <summary>Builds the deterministic seed: organizations, clients, consents, metering points, contracts, wallets and three days of hourly certificates.</summary>
internal static class SandboxSeeder
{
    private const int Days = 3;

    public static LedgerData Seed(DateTimeOffset now)
    {
        var random = new Random(2026);
        var data = new LedgerData();
        var nowSeconds = now.ToUnixTimeSeconds();

        AddOrganization(data, random, new Organization(ClientOrganizationId, "Sandbox Klient ApS", "39315041", IsTrial: true));
        AddOrganization(data, random, new Organization(ProducerOrganizationId, "Sandbox Vindkraft A/S", "39315042", IsTrial: true));
        AddOrganization(data, random, new Organization(ConsumerOrganizationId, "Sandbox Forbrug A/S", "39315043", IsTrial: true));
        AddOrganization(data, random, new Organization(TraderOrganizationId, "Sandbox Energihandel ApS", "39315044", IsTrial: true));
        AddOrganization(data, random, new Organization(UnconsentedOrganizationId, "Sandbox Ny Kunde ApS", "39315045", IsTrial: true));
        AddOrganization(data, random, new Organization(SecondClientOrganizationId, "Sandbox Klient To A/S", "39315046", IsTrial: false));
        AddOrganization(data, random, new Organization(NormalProducerOrganizationId, "Sandbox Havvind A/S", "39315047", IsTrial: false));

        data.Clients.Add(EttClientId, new EttClient(EttClientId, [OnboardingSecret(1, EttClientSecret, now)], ClientOrganizationId, IsTrial: true));
        data.Clients.Add(SecondEttClientId, new EttClient(SecondEttClientId, [OnboardingSecret(2, SecondEttClientSecret, now)], SecondClientOrganizationId, IsTrial: false));
        data.Consents[EttClientId] = [ProducerOrganizationId, ConsumerOrganizationId, TraderOrganizationId];
        data.Consents[SecondEttClientId] = [NormalProducerOrganizationId];

        var wind = new Technology("T020001", "F01050100");
        var solar = new Technology("T010000", "F01010100");
        var biomass = new Technology("T030000", "F01030100");
        var none = new Technology("", "");
        var aarhus = new Address("Vindmøllevej 1", null, null, "Aarhus C", "8000", "DK", "751", "Aarhus");
        var lolland = new Address("Solvej 12", null, "Rødby", "Rødby", "4970", "DK", "360", "Lolland");
        var herning = new Address("Solsikkevej 4", null, null, "Herning", "7400", "DK", "657", "Herning");
        var esbjerg = new Address("Havnegade 20", "2. sal", null, "Esbjerg", "6700", "DK", "561", "Esbjerg");
        var odense = new Address("Fabriksvej 7", null, null, "Odense C", "5000", "DK", "461", "Odense");
        var copenhagen = new Address("Kontorgade 3", null, null, "København K", "1050", "DK", "101", "København");

        var producerWind = Point(ProducerOrganizationId, ProducerWindGsrn, "542", "Production", aarhus, wind, "39315042", true, "3600", "DK1");
        var producerSolar = Point(ProducerOrganizationId, ProducerSolarGsrn, "791", "Production", lolland, solar, "39315042", true, "1200", "DK2");
        data.MeteringPoints.AddRange([
            producerWind,
            producerSolar,
            Point(ProducerOrganizationId, ProducerUncontractedSolarGsrn, "542", "Production", herning, solar, "39315042", true, "800", "DK1"),
            Point(ProducerOrganizationId, ProducerBiomassGsrn, "533", "Production", esbjerg, biomass, "39315042", false, "5000", "DK1"),
        ]);
        var consumerDk1 = Point(ConsumerOrganizationId, ConsumerDk1Gsrn, "543", "Consumption", odense, none, "39315043", true, "", "DK1");
        var consumerDk2 = Point(ConsumerOrganizationId, ConsumerDk2Gsrn, "740", "Consumption", copenhagen, none, "39315043", true, "", "DK2");
        var normalWind = Point(NormalProducerOrganizationId, NormalProducerWindGsrn, "533", "Production", esbjerg, wind, "39315047", true, "8000", "DK1");
        data.MeteringPoints.AddRange([consumerDk1, consumerDk2, normalWind]);

        var contractStart = now.UtcDateTime.Date.AddDays(-30);
        foreach (var point in new[] { producerWind, producerSolar, consumerDk1, consumerDk2, normalWind })
        {
            data.Contracts.Add(new Contract
            {
                Id = NextGuid(random),
                OrganizationId = point.OrganizationId,
                Gsrn = point.Gsrn,
                StartDate = new DateTimeOffset(contractStart).ToUnixTimeSeconds(),
                EndDate = null,
                Created = new DateTimeOffset(contractStart).ToUnixTimeSeconds(),
                MeteringPointType = point.MeteringPointType,
                Technology = point.MeteringPointType == "Production" ? point.Technology : null,
            });
        }

        var reportedAt = new DateTimeOffset(now.UtcDateTime.Date.AddDays(-2)).ToUnixTimeSeconds();
        data.Reports.AddRange([
            Report(ProducerReportId, ProducerOrganizationId, reportedAt, "Completed"),
            Report(ProducerPendingReportId, ProducerOrganizationId, nowSeconds, "Pending"),
            Report(ConsumerReportId, ConsumerOrganizationId, reportedAt, "Completed"),
        ]);

        var lastHour = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero);
        var producer = data.WalletOf(ProducerOrganizationId)!;
        var consumer = data.WalletOf(ConsumerOrganizationId)!;
        var trader = data.WalletOf(TraderOrganizationId)!;
        var toConsumer = Receiver(data, random, producer, consumer, "Sandbox Forbrug A/S");
        var toTrader = Receiver(data, random, producer, trader, "Sandbox Energihandel ApS");

        for (var hour = lastHour.AddDays(-Days); hour < lastHour; hour = hour.AddHours(1))
        {
            var start = hour.ToUnixTimeSeconds();
            var windCertificate = Issue(data, random, producer, producerWind, start, WindWh(random), isTrial: true, nowSeconds);
            var solarCertificate = Issue(data, random, producer, producerSolar, start, SolarWh(random, hour), isTrial: true, nowSeconds);
            Issue(data, random, consumer, consumerDk1, start, ConsumptionWh(random), isTrial: true, nowSeconds);
            Issue(data, random, consumer, consumerDk2, start, ConsumptionWh(random), isTrial: true, nowSeconds);
            Issue(data, random, data.WalletOf(NormalProducerOrganizationId)!, normalWind, start, WindWh(random), isTrial: false, nowSeconds);

            // The consumer bought part of the producer's DK1 wind (so it can claim at once); the trader part of the DK2 solar.
            // The trader bought 25 % and then 15 %, so it holds each certificate as two slices (received in pieces).
            SeedTransfer(data, windCertificate, toConsumer, 0.4, nowSeconds);
            SeedTransfer(data, solarCertificate, toTrader, 0.25, nowSeconds);
            SeedTransfer(data, solarCertificate, toTrader, 0.2, nowSeconds);
        }

        SeedLargeProducer(data, lastHour, nowSeconds);
        SeedOrganizationWithoutWallet(data);
        return data;
    }

    /// <summary>
    /// More than 1,000 available certificates of one type whose ends coincide (60 turbines, the same 20 hours): ETT's pages
    /// order by end only, so a page boundary falls inside a tie. Its own Random keeps the rest of the seed as it was.
    /// </summary>
    private static void SeedLargeProducer(LedgerData data, DateTimeOffset lastHour, long nowSeconds)
    {
        var random = new Random(2027);
        AddOrganization(data, random, new Organization(LargeProducerOrganizationId, "Sandbox Vindpark A/S", "39315048", IsTrial: true));
        AddOrganization(data, random, new Organization(ThirdClientOrganizationId, "Sandbox Klient Tre ApS", "39315049", IsTrial: true));
        data.Clients.Add(ThirdEttClientId, new EttClient(ThirdEttClientId, [OnboardingSecret(3, ThirdEttClientSecret, DateTimeOffset.FromUnixTimeSeconds(nowSeconds))], ThirdClientOrganizationId, IsTrial: true));
        data.Consents[ThirdEttClientId] = [LargeProducerOrganizationId];
        var wind = new Technology("T020001", "F01050100");
        var ringkobing = new Address("Vestkystvej 8", null, null, "Ringkøbing", "6950", "DK", "760", "Ringkøbing-Skjern");
        var wallet = data.WalletOf(LargeProducerOrganizationId)!;
        var turbines = Enumerable.Range(0, LargeProducerTurbines)
            .Select(n => Point(LargeProducerOrganizationId, LargeProducerGsrn(n), "542", "Production", ringkobing, wind, "39315048", true, "3600", "DK1"))
            .ToList();
        data.MeteringPoints.AddRange(turbines);
        for (var hour = lastHour.AddHours(-LargeProducerHours); hour < lastHour; hour = hour.AddHours(1))
        {
            foreach (var turbine in turbines)
            {
                Issue(data, random, wallet, turbine, hour.ToUnixTimeSeconds(), WindWh(random), isTrial: true, nowSeconds);
            }
        }
    }

    /// <summary>ETT creates a wallet when terms are accepted (EO AcceptTermsCommand.cs), so an organization may have none.</summary>
    private static void SeedOrganizationWithoutWallet(LedgerData data)
    {
        var organization = new Organization(NoWalletOrganizationId, "Sandbox Uden Wallet ApS", "39315050", IsTrial: true);
        data.Organizations.Add(organization.Id, organization);
        var address = new Address("Markvej 2", null, null, "Vejle", "7100", "DK", "630", "Vejle");
        data.MeteringPoints.Add(Point(NoWalletOrganizationId, NoWalletSolarGsrn, "542", "Production", address, new Technology("T010000", "F01010100"),
            "39315050", true, "500", "DK1"));
    }

    // The secret ETT's onboarding creates lasts one month; the credentials API's own secrets a year (ETT PR #1874).
    private static ClientSecret OnboardingSecret(int client, string value, DateTimeOffset now) =>
        ClientSecret.Create(new Guid($"c2ed0000-0000-4000-8000-{client:D12}"), value, now, now.AddMonths(1));

    private static void AddOrganization(LedgerData data, Random random, Organization organization)
    {
        data.Organizations.Add(organization.Id, organization);
        var wallet = new Wallet(WalletIdOf(organization.Id), organization.Id, PublicKey(random));
        data.Wallets.Add(wallet.Id, wallet);
    }

    private static Report Report(Guid id, Guid organizationId, long createdAt, string status) =>
        new(id, organizationId, createdAt, status,
            status == "Completed" ? System.Text.Encoding.ASCII.GetBytes($"%PDF-1.7\n% ETT sandbox report {id} of organization {organizationId}\n%%EOF\n") : null);

    private static MeteringPoint Point(
        Guid organizationId, string gsrn, string gridArea, string type, Address address, Technology technology, string cvr,
        bool canIssue, string capacity, string biddingZone) =>
        new(organizationId, gsrn, gridArea, type, "Physical", address, technology, cvr, canIssue, capacity, biddingZone);

    private static ExternalEndpoint Receiver(LedgerData data, Random random, Wallet owner, Wallet target, string reference)
    {
        var endpoint = new ExternalEndpoint(NextGuid(random), owner, reference, "sandbox://wallet-api/v1/slices", PublicKey(random), target);
        data.ExternalEndpoints.Add(endpoint.Id, endpoint);
        return endpoint;
    }

    private static Certificate? Issue(
        LedgerData data, Random random, Wallet wallet, MeteringPoint point, long start, long quantity, bool isTrial, long now)
    {
        if (quantity == 0)
        {
            return null;
        }

        var end = start + 3600;
        var production = point.MeteringPointType == "Production";
        var clear = new Dictionary<string, string>(StringComparer.Ordinal);
        var hashed = new Dictionary<string, string>(StringComparer.Ordinal);
        if (production)
        {
            clear["energyTag_GcIssuer"] = "Energinet";
            clear["energyTag_GcIssueMarketZone"] = point.BiddingZone;
            clear["energyTag_Country"] = "Denmark";
            clear["energyTag_GcIssuanceDatestamp"] = DateTimeOffset.FromUnixTimeSeconds(end).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            clear["energyTag_ProductionStartingIntervalTimestamp"] = start.ToString(CultureInfo.InvariantCulture);
            clear["energyTag_ProductionEndingIntervalTimestamp"] = end.ToString(CultureInfo.InvariantCulture);
            clear["energyTag_GcFaceValue"] = quantity.ToString(CultureInfo.InvariantCulture);
            clear["energyTag_ConnectedGridIdentification"] = point.GridArea;
            clear["energyTag_ProductionDeviceCommercialOperationDate"] = "N/A";
            clear["energyTag_EnergyCarrier"] = "Electricity";
            clear["energyTag_GcIssueDeviceType"] = "Production";
            clear["energyTag_ProducedEnergySource"] = point.Technology.AibFuelCode;
            clear["energyTag_ProducedEnergyTechnology"] = point.Technology.AibTechCode;
            clear["energyTag_Disclosure"] = "Yes";
            clear["energyTag_Sponsored"] = "No";
            clear["municipality_code"] = point.Address.MunicipalityCode;
            hashed["energyTag_ProductionDeviceUniqueIdentification"] = point.Gsrn;
            hashed["energyTag_ProductionDeviceLocation"] = $"{point.Address.Address1}, {point.Address.PostalCode} {point.Address.City}";
            hashed["energyTag_ProductionDeviceCapacity"] = point.Capacity;
        }
        else
        {
            hashed["assetId"] = point.Gsrn;
        }

        clear["isTrial"] = isTrial ? "true" : "false";
        var certificate = new Certificate
        {
            Registry = Registry,
            StreamId = NextGuid(random),
            Type = production ? SandboxCertificateType.Production : SandboxCertificateType.Consumption,
            Start = start,
            End = end,
            GridArea = point.BiddingZone,
            ClearAttributes = clear,
            HashedAttributes = hashed,
        };
        var holding = data.HoldingOf(wallet, certificate, hashed);
        // The issued slice takes the certificate's id, so the seed stays a function of the instant only.
        holding.Slices.Add(new Slice(certificate.StreamId, quantity, SliceState.Available));
        holding.UpdatedAt = now;
        return certificate;
    }

    private static void SeedTransfer(LedgerData data, Certificate? certificate, ExternalEndpoint receiver, double share, long now)
    {
        if (certificate is null)
        {
            return;
        }

        var holding = receiver.Owner.Holdings[certificate.StreamId];
        var quantity = (long)(holding.Available * share);
        var slice = holding.Reserve(quantity)!.Single();
        var (record, _, received) = data.TransferSlice(holding, slice, quantity, Guid.Empty, receiver, [], now);
        received!.State = SliceState.Available;
        record.State = TransferState.Completed;
    }

    // 50–500 kWh per hour, in Wh.
    private static long WindWh(Random random) => random.Next(50_000, 500_001);

    private static long ConsumptionWh(Random random) => random.Next(50_000, 500_001);

    // Solar produces only in daylight (06–18 UTC), peaking at noon.
    private static long SolarWh(Random random, DateTimeOffset hour)
    {
        if (hour.Hour is < 6 or >= 18)
        {
            return 0;
        }

        var daylight = Math.Sin(Math.PI * (hour.Hour - 6 + 0.5) / 12);
        return (long)(daylight * random.Next(300_000, 500_001));
    }

    private static string PublicKey(Random random)
    {
        var bytes = new byte[78];
        random.NextBytes(bytes);
        return Convert.ToBase64String(bytes);
    }

    private static Guid NextGuid(Random random)
    {
        var bytes = new byte[16];
        random.NextBytes(bytes);
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes);
    }
}
