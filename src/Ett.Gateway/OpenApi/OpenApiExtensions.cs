namespace Ett.Gateway.OpenApi;

public static class OpenApiExtensions
{
    public const string GatewayDocument = "v1";

    public static IServiceCollection AddGatewayOpenApi(this IServiceCollection services)
    {
        services.AddSingleton<GatewaySecuritySchemes>();
        services.AddSingleton<EttPassthroughDocument>();
        services.AddOpenApi(GatewayDocument, options =>
        {
            options.AddDocumentTransformer<GatewayDocumentTransformer>();
            options.AddOperationTransformer<GatewayOperationTransformer>();
            options.AddDocumentTransformer<SchemaConventions>();
            options.AddDocumentTransformer<ExampleConventions>();
        });
        return services;
    }

    /// <summary>
    /// Serves <c>/openapi/v1.json</c> (generated), <c>/openapi/ett.json</c> (ETT passthrough) and Swagger UI at
    /// <c>/swagger</c>, all open to anonymous callers.
    /// </summary>
    public static IEndpointRouteBuilder MapGatewayOpenApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/openapi/ett.json", (EttPassthroughDocument document, HttpRequest request) =>
                Results.Text(document.Render(request.PathBase), "application/json"))
            .ExcludeFromDescription()
            .AllowAnonymous();
        app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();

        var security = app.ServiceProvider.GetRequiredService<GatewaySecuritySchemes>();
        // Swagger UI is middleware, and middleware after UseAuthorization falls under the fallback policy; as an
        // endpoint it can carry AllowAnonymous like the documents it shows.
        var swaggerUi = app.CreateApplicationBuilder()
            .UseSwaggerUI(options =>
            {
                options.RoutePrefix = "swagger";
                options.DocumentTitle = GatewayDocumentTransformer.Title;
                // Relative to /swagger/index.html, so the UI also works when the gateway is hosted under a path base.
                options.SwaggerEndpoint($"../openapi/{GatewayDocument}.json", "Gateway API v1");
                options.SwaggerEndpoint("../openapi/ett.json", "ETT passthrough");
                // Both documents name the same schemes, so a token kept in the browser survives a switch and a reload.
                options.EnablePersistAuthorization();
                options.DisplayRequestDuration();
                options.EnableDeepLinking();
                options.EnableFilter();
                options.EnableTryItOutByDefault();
                if (security.DevelopmentClientId is { } clientId) options.OAuthClientId(clientId);
            })
            .Build();
        app.Map("/swagger", swaggerUi).ExcludeFromDescription().AllowAnonymous();
        app.Map("/swagger/{**asset}", swaggerUi).ExcludeFromDescription().AllowAnonymous();
        return app;
    }
}
