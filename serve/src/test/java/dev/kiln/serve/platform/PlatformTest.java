package dev.kiln.serve.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Detection and settings from a platform's environment, passed as a map (never the real environment). */
class PlatformTest {
    @Test
    void detectsVertexFromItsAipVariablesAndSageMakerFromItsOwn() {
        // https://cloud.google.com/vertex-ai/docs/predictions/custom-container-requirements#aip-variables
        assertEquals(Platform.VERTEX, Platform.detect(Map.of("AIP_HTTP_PORT", "8080")));
        assertEquals(Platform.VERTEX, Platform.detect(Map.of("AIP_PREDICT_ROUTE", "/p")));
        // https://docs.aws.amazon.com/sagemaker/latest/dg/inference-pipeline-real-time.html (SAGEMAKER_BIND_TO_PORT)
        assertEquals(Platform.SAGEMAKER, Platform.detect(Map.of("SAGEMAKER_BIND_TO_PORT", "9000")));
        assertEquals(Platform.KSERVE, Platform.detect(Map.of("HOME", "/root", "PATH", "/bin")));
        // Azure ML sets AZUREML_MODEL_DIR in every online deployment
        // (https://learn.microsoft.com/azure/machine-learning/how-to-deploy-custom-container)
        assertEquals(Platform.AZUREML, Platform.detect(Map.of("AZUREML_MODEL_DIR", "/var/azureml-app/azureml-models/m/1")));
        assertEquals(Platform.AZUREML, Platform.parse("AzureML"));
        assertEquals(Platform.SAGEMAKER, Platform.detect(Map.of("KILN_PLATFORM", "sagemaker", "AIP_HTTP_PORT", "8080")));
        assertEquals("KILN_PLATFORM: expected one of kserve, sagemaker, vertex, azureml, got \"gcp\"",
                assertThrows(IllegalArgumentException.class, () -> Platform.detect(Map.of("KILN_PLATFORM", "gcp"))).getMessage());
        assertEquals(Platform.SAGEMAKER, Platform.parse("SageMaker"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Platform.parse("azure")).getMessage()
                .contains("expected one of kserve, sagemaker, vertex, azureml, got \"azure\""));
    }

    @Test
    void vertexTakesPortRoutesAndLocalStorageFromTheEnvironment() {
        // Vertex AI sets AIP_HTTP_PORT, AIP_HEALTH_ROUTE, AIP_PREDICT_ROUTE and AIP_STORAGE_URI (docs above).
        PlatformSettings s = Platform.VERTEX.settings(Map.of("AIP_HTTP_PORT", "7080", "AIP_HEALTH_ROUTE", "/v1/endpoints/e/deployedModels/d",
                "AIP_PREDICT_ROUTE", "/v1/endpoints/e/deployedModels/d:predict", "AIP_STORAGE_URI", "/gcs/bucket/run"));
        assertEquals(7080, s.port());
        assertEquals("/v1/endpoints/e/deployedModels/d", s.healthRoute());
        assertEquals("/v1/endpoints/e/deployedModels/d:predict", s.predictRoute());
        assertEquals(Path.of("/gcs/bucket/run"), s.modelDir());
        assertEquals(1_500_000L, s.maxPayloadBytes());
        assertEquals(8080, Platform.VERTEX.settings(Map.of()).port(), "AIP_HTTP_PORT defaults to 8080");
        assertNull(Platform.VERTEX.settings(Map.of()).modelDir());
        String gs = assertThrows(IllegalArgumentException.class,
                () -> Platform.VERTEX.settings(Map.of("AIP_STORAGE_URI", "gs://bucket/run"))).getMessage();
        assertTrue(gs.startsWith("AIP_STORAGE_URI: expected a local directory, got \"gs://bucket/run\""), gs);
        assertTrue(gs.contains("does not download"), gs);
        String port = assertThrows(IllegalArgumentException.class,
                () -> Platform.VERTEX.settings(Map.of("AIP_HTTP_PORT", "http"))).getMessage();
        assertEquals("AIP_HTTP_PORT: expected a port in [1, 65535], got \"http\"", port);
    }

    @Test
    void sageMakerServesPingAndInvocationsOn8080FromOptMlModel() {
        // https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-inference-code.html
        PlatformSettings s = Platform.SAGEMAKER.settings(Map.of());
        assertEquals(8080, s.port());
        assertEquals("/ping", s.healthRoute());
        assertEquals("/invocations", s.predictRoute());
        assertEquals(Path.of("/opt/ml/model"), s.modelDir());
        assertEquals(9001, Platform.SAGEMAKER.settings(Map.of("SAGEMAKER_BIND_TO_PORT", "9001")).port());
    }

    @Test
    void azureMlServesReadyAndScoreOn8080FromTheFolderUnderAzuremlModelDir(@TempDir Path tmp) throws Exception {
        // "a model registered with the name foo and version 1 would be located at /var/azureml-app/azureml-models/foo/1",
        // the registered folder (path: ./half_plus_two) inside it (docs above, "Locating the mounted model").
        Path version = Files.createDirectories(tmp.resolve("azureml-models/fashion/1"));
        Path folder = Files.createDirectories(version.resolve("run"));
        Files.createDirectories(version.resolve("notes"));
        Files.write(folder.resolve("model.safetensors"), new byte[0]);
        PlatformSettings s = Platform.AZUREML.settings(Map.of("AZUREML_MODEL_DIR", version.toString()));
        assertEquals(8080, s.port(), "the image's port; the deployment YAML's inference_config names it");
        assertEquals("/ready", s.healthRoute());
        assertEquals("/score", s.predictRoute());
        assertEquals(folder, s.modelDir(), "the one subfolder holding model.safetensors");
        assertEquals("/v2/health/live", Platform.AZUREML_LIVENESS_ROUTE);
        // A model registered as files (no folder) lies in AZUREML_MODEL_DIR itself.
        assertEquals(folder, Platform.AZUREML.settings(Map.of("AZUREML_MODEL_DIR", folder.toString())).modelDir());
        assertNull(Platform.AZUREML.settings(Map.of()).modelDir());
        Files.createDirectories(version.resolve("other"));
        Files.write(version.resolve("other/model.safetensors"), new byte[0]);
        String two = assertThrows(IllegalArgumentException.class,
                () -> Platform.AZUREML.settings(Map.of("AZUREML_MODEL_DIR", version.toString()))).getMessage();
        assertTrue(two.startsWith("AZUREML_MODEL_DIR: expected model.safetensors in \"" + version
                + "\" or in exactly one of its subfolders, got 2: "), two);
        String none = assertThrows(IllegalArgumentException.class,
                () -> Platform.AZUREML.settings(Map.of("AZUREML_MODEL_DIR", version.resolve("notes").toString()))).getMessage();
        assertTrue(none.endsWith("or in exactly one of its subfolders, got none"), none);
    }
}
