package io.imsm.server;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * Keeps the package graph one-way (docs/architecture.md): web → services → stores → model. A cycle
 * means two packages can only be understood together; this test names the classes that close it.
 */
class PackageStructureTest {
    private static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.imsm.server");

    @Test
    void whenPackagesDependOnEachOther_thenNeverInACycle() {
        slices().matching("io.imsm.server.(**)").should().beFreeOfCycles().check(MAIN);
    }

    @Test
    void whenStoresAndServicesAreBuilt_thenTheyNeverSeeHttp() {
        noClasses().that().resideOutsideOfPackages("io.imsm.server.web..", "io.imsm.server.app..")
                .should().dependOnClassesThat().resideInAnyPackage("io.javalin..", "io.imsm.server.web..")
                .check(MAIN);
    }

    @Test
    void whenStoresAreBuilt_thenTheyNeverCallServices() {
        noClasses().that().resideInAPackage("io.imsm.server.store..")
                .should().dependOnClassesThat().resideInAnyPackage("io.imsm.server.identity..", "io.imsm.server.access..",
                        "io.imsm.server.token..", "io.imsm.server.kx..", "io.imsm.server.audit..", "io.imsm.server.keys..")
                .check(MAIN);
    }
}
