using Ett.Gateway.Callers;
using Ett.Gateway.ClientSecrets;
using Ett.Gateway.Defaults;
using Ett.Gateway.Errors;
using Ett.Gateway.Features.Certificates;
using Ett.Gateway.Features.Claims;
using Ett.Gateway.Features.Contracts;
using Ett.Gateway.Features.MeteringPoints;
using Ett.Gateway.Features.Organizations;
using Ett.Gateway.Features.Partners;
using Ett.Gateway.Features.Transfers;
using Ett.Gateway.Features.Wallet;
using Ett.Gateway.Health;
using Ett.Gateway.Observability;
using Ett.Gateway.OpenApi;
using Ett.Gateway.Operations;
using Ett.Gateway.Passthrough;
using Ett.Gateway.Sandbox;
using Ett.Gateway.Upstream;
using Ett.Gateway.Validation;

var builder = WebApplication.CreateBuilder(args);

builder.AddSandbox(); // first: it fills in the ETT and caller settings the others read
builder.Services.AddGatewayErrors();
builder.Services.AddGatewayDefaults(builder.Configuration);
builder.Services.AddGatewayObservability(builder.Configuration);
builder.Services.AddRequestValidation();
builder.Services.AddCallers(builder.Configuration);
builder.Services.AddUpstream(builder.Configuration);
builder.Services.AddPassthrough();
builder.Services.AddGatewayOpenApi();
builder.Services.AddGatewayHealth();
builder.Services.AddOperations(builder.Configuration);
builder.Services.AddOrganizations(builder.Configuration);
builder.Services.AddContracts();
builder.Services.AddPartners();
builder.Services.AddTransfers();
builder.Services.AddClaims();
builder.Services.AddClientSecrets();

var app = builder.Build();

app.UseGatewayEdge();
app.UseGatewayObservability();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseCallerAuthentication();
app.UseGatewayAudit();
app.UseGatewayDefaults();
app.UseCallerAuthorization();

app.MapGatewayOpenApi();
app.MapGatewayHealth();
app.MapSandbox();
app.MapPassthrough();
app.MapOrganizations();
app.MapMeteringPoints();
app.MapContracts();
app.MapWallet();
app.MapCertificates();
app.MapClaimHistory();
app.MapTransferHistory();
app.MapPartners();
app.MapTransfers();
app.MapClaims();
app.MapOperations();
app.MapClientSecrets();
app.MapGatewayObservability();

app.Run();

/// <summary>Entry point; public so integration tests can host the gateway.</summary>
public partial class Program;
